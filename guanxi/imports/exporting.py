"""Export of any registered list (``registry.ExportList``) to CSV or XLSX.

Rows come from the list's scoped queryset, the same selectors as the screens, so an
export never holds a row its user could not see; every cell goes through
``guanxi.core.io.spreadsheet_export`` (formula injection escaped). Exporting needs
``accounts.permissions.can_export`` and is written to the security log. Small lists are
answered at once; larger ones run as a job whose file is kept in storage.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.services import security_log
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.io.spreadsheet_export import iter_csv, write_csv, write_xlsx
from guanxi.core.jobs import enqueue_on_commit, job_create, run_job
from guanxi.core.models import Job, JobStatus
from guanxi.imports import registry
from guanxi.imports.columns import Cells, Row

FORMATS: Final = ("csv", "xlsx")
#: lists up to this size are answered directly; larger ones become a job
INLINE_ROWS: Final = 5000
ITER_CHUNK: Final = 2000


def _unknown_kind() -> ValidationFailed:
    keys = "、".join(e.key for e in registry.export_lists())
    return ValidationFailed({"kind": _("可选：%(values)s") % {"values": keys}})


def _list(kind: str) -> registry.ExportList:
    found = registry.get_export_list(kind)
    if found is None:
        raise _unknown_kind()
    return found


def parse_date(raw: Mapping[str, Any], name: str, errors: dict[str, str]) -> dt.date | None:
    """The filter ``name`` as a date (YYYY-MM-DD); an error naming it otherwise."""
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = _("必须是日期（YYYY-MM-DD）。")
        return None


def parse_id(raw: Mapping[str, Any], name: str, errors: dict[str, str]) -> int | None:
    """The filter ``name`` as a record id; an error naming it otherwise."""
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if not 1 <= number <= 2**63 - 1:
        errors[name] = _("必须是正整数。")
        return None
    return number


def export_queryset(*, actor: Any, kind: str, params: Mapping[str, Any]) -> QuerySet[Any]:
    """The scoped, filtered rows of list ``kind`` (its filters: ``ExportList.filters``)."""
    return _list(kind).queryset(actor, params)


def export_rows(qs: QuerySet[Any], kind: str) -> Iterator[list[Any]]:
    """Cell values of each row, read in batches of ``ITER_CHUNK`` (a customer batch's tags
    with one more query)."""
    export = _list(kind)
    columns = export.columns
    reads = list(dict.fromkeys(name for c in columns for name in c.reads))
    cells = Cells()
    rows: Iterator[Row] = qs.values(*reads).iterator(chunk_size=ITER_CHUNK)
    if export.rows is not None:
        rows = export.rows(rows)
    for row in rows:
        yield [c.value(row, cells) for c in columns]


def export_headers(kind: str) -> list[str]:
    return [str(c.header) for c in _list(kind).columns]


def export_filename(kind: str, fmt: str) -> str:
    return f"{_list(kind).label}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def _title(kind: str) -> str:
    return str(_list(kind).label)


def _check(actor: Any, kind: str, fmt: str) -> None:
    if not permissions.can_export(actor):
        raise PermissionDenied(_("你没有导出数据的权限。"))
    errors = {}
    if registry.get_export_list(kind) is None:
        errors["kind"] = _unknown_kind().errors["kind"][0]
    if fmt not in FORMATS:
        errors["format"] = _("可选：csv、xlsx")
    if errors:
        raise ValidationFailed(errors)


@dataclass
class ExportStart:
    """Either a job (``job``) or, for a small list, the rows to answer at once."""

    job: Job | None
    kind: str
    fmt: str
    filename: str
    rows: int


def export_start(
    *,
    actor: Any,
    kind: str,
    fmt: str,
    params: Mapping[str, Any],
    ip: str | None = None,
    force_job: bool = False,
) -> ExportStart:
    """Check permission and filters; a list over ``INLINE_ROWS`` (or ``force_job``) becomes a
    job, a smaller one is written by the caller with :func:`export_stream`."""
    _check(actor, kind, fmt)
    qs = export_queryset(actor=actor, kind=kind, params=params)
    count = qs.order_by()[: INLINE_ROWS + 1].count()
    clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
    if count <= INLINE_ROWS and not force_job:
        return ExportStart(None, kind, fmt, export_filename(kind, fmt), count)
    with transaction.atomic():
        job = job_create(
            kind="export",
            actor=actor,
            params={"kind": kind, "format": fmt, "filters": clean, "ip": ip},
        )
        from guanxi.imports.tasks import export_task

        enqueue_on_commit(export_task, str(job.pk))
    return ExportStart(job, kind, fmt, export_filename(kind, fmt), count)


def export_stream(
    *, actor: Any, kind: str, fmt: str, params: Mapping[str, Any], ip: str | None = None
) -> Iterator[bytes] | bytes:
    """The file of a small export: CSV chunks to stream, or the XLSX bytes. Logged."""
    _check(actor, kind, fmt)
    qs = export_queryset(actor=actor, kind=kind, params=params)
    security_log(
        actor=actor,
        event="export",
        ip=ip,
        kind=kind,
        format=fmt,
        filters={k: str(v) for k, v in params.items() if v not in (None, "")},
        rows=qs.order_by()[: INLINE_ROWS + 1].count(),
    )
    if fmt == "csv":
        return iter_csv(export_rows(qs, kind), export_headers(kind))
    with tempfile.TemporaryFile() as fh:
        write_xlsx(export_rows(qs, kind), export_headers(kind), fh, sheet_title=_title(kind))
        fh.seek(0)
        return fh.read()


def export_run_job(job_id: str, *, task_result_id: str = "") -> None:
    """The job body: write the file to storage, log the export, record the file."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    actor = job.created_by
    kind, fmt = job.params["kind"], job.params["format"]
    filters = job.params.get("filters", {})

    def work(report: Callable[[float, str], None]) -> dict[str, Any]:
        _check(actor, kind, fmt)
        qs = export_queryset(actor=actor, kind=kind, params=filters)
        total = max(1, qs.order_by().count())
        counter = {"n": 0}

        def rows() -> Iterator[list[Any]]:
            for row in export_rows(qs, kind):
                counter["n"] += 1
                if counter["n"] % 10_000 == 0:
                    report(
                        min(99.0, 100 * counter["n"] / total),
                        _("已导出 %(n)s 行") % {"n": f"{counter['n']:,}"},
                    )
                yield row

        with tempfile.NamedTemporaryFile(suffix="." + fmt, delete=False) as tmp:
            path = tmp.name
        try:
            if fmt == "csv":
                with open(path, "wb") as fh:
                    n = write_csv(rows(), export_headers(kind), fh)
            else:
                n = write_xlsx(rows(), export_headers(kind), path, sheet_title=_title(kind))
            with open(path, "rb") as written:
                name = default_storage.save(f"exports/{job.pk}.{fmt}", File(written))
        finally:
            os.unlink(path)
        security_log(
            actor=actor,
            event="export",
            ip=job.params.get("ip"),
            kind=kind,
            format=fmt,
            filters=filters,
            rows=n,
        )
        return {"file": name, "rows": n, "filename": export_filename(kind, fmt)}

    run_job(job_id, work, task_result_id=task_result_id)


def export_file(*, actor: Any, job_id: Any) -> tuple[Any, str]:
    """(open file, download name) of a finished export job the actor may see."""
    from guanxi.core.selectors import job_get

    job = job_get(actor=actor, job_id=job_id)
    if job is None or job.kind != "export":
        raise NotFound(_("导出不存在。"))
    if job.status != JobStatus.SUCCEEDED or not job.result.get("file"):
        raise ValidationFailed({"job": _("导出尚未完成。")})
    return default_storage.open(job.result["file"], "rb"), str(job.result.get("filename"))
