"""Column mapping: which file column feeds which field.

A mapping is a list aligned with the file's headers: ``mapping[i]`` is the field name
column ``i`` feeds, or ``""`` for a column that is not imported. Saved templates and the
API speak ``{header: field}``; :func:`mapping_from_columns` converts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.imports import registry
from guanxi.imports.fields import KindSpec, alias_index, header_key


def suggest_mapping(kind: str, headers: Sequence[str]) -> list[str]:
    """Suggest a field for each header: an exact alias first (``客户名称``, ``E-mail``), then
    the longest alias contained in the header (``联系人手机`` → mobile). Each field is
    suggested for one column only, the first that names it exactly."""
    index = alias_index(registry.kind(kind).current_spec())
    keys = [header_key(h) for h in headers]
    result = [""] * len(headers)
    taken: set[str] = set()
    for i, key in enumerate(keys):
        field = index.get(key)
        if field and field not in taken:
            result[i] = field
            taken.add(field)
    by_length = sorted(index.items(), key=lambda item: len(item[0]), reverse=True)
    for i, key in enumerate(keys):
        if result[i] or not key:
            continue
        for alias, field in by_length:
            if field not in taken and len(alias) >= 2 and alias in key:
                result[i] = field
                taken.add(field)
                break
    return result


def mapping_from_columns(
    kind: str, headers: Sequence[str], columns: Mapping[str, str]
) -> list[str]:
    """A ``{header: field}`` mapping (a saved template or an API request) as a list aligned
    with ``headers``. Headers of the template missing from the file are ignored (templates
    outlive files); an unknown field name is an error."""
    spec = registry.kind(kind).current_spec()
    errors: dict[str, str] = {}
    by_header: dict[str, str] = {}
    for header, field in columns.items():
        if field and field not in spec.by_name:
            errors[f"mapping.{header}"] = _("未知字段“%(field)s”。") % {"field": field}
        by_header[header.strip()] = field or ""
    if errors:
        raise ValidationFailed(errors)
    return [by_header.get(h.strip(), "") for h in headers]


def columns_from_mapping(headers: Sequence[str], mapping: Sequence[str]) -> dict[str, str]:
    return {h: f for h, f in zip(headers, mapping, strict=False) if h and f}


def validate_mapping(spec: KindSpec, headers: Sequence[str], mapping: Sequence[str]) -> None:
    """Every field at most once, the required fields present; errors name the field."""
    errors: dict[str, str] = {}
    if len(mapping) != len(headers):
        raise ValidationFailed({"mapping": _("列对应的数量与文件的列数不一致。")})
    seen: dict[str, int] = {}
    for i, field in enumerate(mapping):
        if not field:
            continue
        if field not in spec.by_name:
            errors[f"mapping.{headers[i]}"] = _("未知字段“%(field)s”。") % {"field": field}
        elif field in seen:
            errors[f"mapping.{headers[i]}"] = _("“%(label)s”已对应到“%(other)s”列。") % {
                "label": spec.by_name[field].label,
                "other": headers[seen[field]],
            }
        else:
            seen[field] = i
    for f in spec.fields:
        if f.required and f.name not in seen:
            errors[f.name] = _("必须对应“%(label)s”列。") % {"label": f.label}
    if spec.required_any and not any(all(n in seen for n in group) for group in spec.required_any):
        labels = " / ".join(
            "+".join(str(spec.by_name[n].label) for n in group) for group in spec.required_any
        )
        if spec.required_any_error is not None:
            name, message = spec.required_any_error
            errors[name] = str(message) % {"labels": labels}
        else:
            errors[spec.required_any[0][0]] = _("必须对应“%(label)s”列。") % {"label": labels}
    if errors:
        raise ValidationFailed(errors)
