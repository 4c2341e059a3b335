"""The import's writes: upload, configure, preview, start, resume, undo, saved mappings.

Views, the API, the command line and tasks call these; each checks the actor's right to
import the run's kind (the kind's ``may_import`` rule, from ``accounts.permissions``) and
answers a domain error naming the problem. A kind is any key an app registered
(``registry``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.io.tabular import TabularError, open_table
from guanxi.core.jobs import enqueue_on_commit, job_create
from guanxi.core.models import Job
from guanxi.core.workers import job_supersede
from guanxi.imports import registry
from guanxi.imports.fields import KindSpec
from guanxi.imports.files import MAX_BYTES, hash_file, store_upload
from guanxi.imports.mapping import mapping_from_columns, suggest_mapping, validate_mapping
from guanxi.imports.messages import file_message
from guanxi.imports.models import ImportMapping, ImportRun, ImportStatus, OnDuplicate
from guanxi.imports.pipeline import PREVIEW_ROWS, Preview, import_dry_run
from guanxi.imports.selectors import (
    FAILED,
    import_run_busy,
    import_run_get,
    import_run_stalled,
    import_run_state,
)

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312", "big5", "utf-16")
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}


def can_import(actor: Any, kind: str) -> bool:
    """Who may import ``kind``: the system, and staff users its ``may_import`` admits."""
    if actor is None:
        return True
    found = registry.get_kind(kind)
    if found is None or not permissions.is_staff_actor(actor):
        return False
    return bool(found.may_import(actor))


def _check_kind(kind: str) -> registry.ImportKind:
    found = registry.get_kind(kind)
    if found is None:
        keys = "、".join(k.key for k in registry.kinds())
        raise ValidationFailed({"kind": _("未知的导入类型，可选：%(kinds)s") % {"kinds": keys}})
    return found


def _spec(kind: str) -> KindSpec:
    return _check_kind(kind).current_spec()


def _check_options(
    encoding: str | None, delimiter: str | None, on_duplicate: str | None
) -> tuple[str | None, str | None]:
    errors: dict[str, str] = {}
    if encoding and encoding.lower() not in ENCODINGS:
        errors["encoding"] = _("不支持的编码，可选：%(values)s") % {"values": "、".join(ENCODINGS)}
    if delimiter and delimiter not in DELIMITERS:
        errors["delimiter"] = _("不支持的分隔符，可选：逗号、分号、制表符（tab）、竖线。")
    if on_duplicate and on_duplicate not in OnDuplicate.values:
        errors["on_duplicate"] = _("可选：%(values)s") % {"values": "、".join(OnDuplicate.values)}
    if errors:
        raise ValidationFailed(errors)
    return (encoding.lower() if encoding else None), (DELIMITERS[delimiter] if delimiter else None)


def _read_headers(
    source: Any,
    *,
    file_name: str,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
) -> dict[str, Any]:
    try:
        table = open_table(
            source, filename=file_name, encoding=encoding, delimiter=delimiter, sheet=sheet or None
        )
    except TabularError as exc:
        raise ValidationFailed({"file": file_message(exc)}) from exc
    with table:
        if not any(table.headers):
            raise ValidationFailed({"file": _("文件没有表头行。")})
        return {
            "file_format": table.format,
            "encoding": table.encoding or "",
            "delimiter": table.delimiter or "",
            "sheet": table.sheet_name or "",
            "headers": list(table.headers),
            "sheet_names": list(table.sheet_names),
        }


def _initial_mapping(kind: str, headers: Sequence[str], mapping_name: str | None) -> list[str]:
    if not mapping_name:
        return suggest_mapping(kind, headers)
    template = ImportMapping.objects.filter(kind=kind, name=mapping_name).first()
    if template is None:
        raise ValidationFailed(
            {"mapping": _("没有名为“%(name)s”的映射模板。") % {"name": mapping_name}}
        )
    return mapping_from_columns(kind, headers, template.columns)


@transaction.atomic
def import_upload(
    *,
    actor: Any,
    kind: str,
    file: IO[bytes] | Any,
    file_name: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    on_duplicate: str | None = None,
    mapping_name: str | None = None,
    source: str = "ui",
) -> ImportRun:
    """Check an uploaded file (hostile files are refused here, before it is stored), store
    it, and create the run with the suggested (or the named template's) mapping."""
    _check_kind(kind)
    if not can_import(actor, kind):
        raise PermissionDenied(_("你没有导入数据的权限。"))
    enc, delim = _check_options(encoding, delimiter, on_duplicate)
    file_name = os.path.basename(file_name or "upload")[:255] or "upload"
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationFailed({"file": file_message(TabularError("too_large", ""))})
    if hasattr(file, "seek"):
        file.seek(0)
    info = _read_headers(file, file_name=file_name, encoding=enc, delimiter=delim, sheet=sheet)
    if hasattr(file, "seek"):
        file.seek(0)
    try:
        storage_name, sha, stored_size = store_upload(file)
    except TabularError as exc:
        raise ValidationFailed({"file": file_message(exc)}) from exc
    mapping = _initial_mapping(kind, info["headers"], mapping_name)
    return ImportRun.objects.create(
        kind=kind,
        created_by=actor,
        source=source,
        file_name=file_name,
        storage_name=storage_name,
        file_hash=sha,
        file_size=stored_size,
        file_format=info["file_format"],
        encoding=info["encoding"],
        delimiter=info["delimiter"],
        sheet=info["sheet"],
        headers=info["headers"],
        mapping=mapping,
        options={
            "on_duplicate": on_duplicate or OnDuplicate.UPDATE,
            "sheet_names": info["sheet_names"],
        },
    )


def import_local_file(
    *,
    actor: Any,
    kind: str,
    path: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    on_duplicate: str | None = None,
    mapping_name: str | None = None,
) -> tuple[ImportRun, bool]:
    """The command line's run for a file on disk: the unfinished run of the same file
    (same hash and kind) whose worker has died is resumed; otherwise a new run. Returns
    (run, resumed)."""
    _check_kind(kind)
    if not can_import(actor, kind):
        raise PermissionDenied(_("你没有导入数据的权限。"))
    enc, delim = _check_options(encoding, delimiter, on_duplicate)
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise ValidationFailed({"file": _("文件不存在：%(path)s") % {"path": path}})
    info = _read_headers(
        path, file_name=os.path.basename(path), encoding=enc, delimiter=delim, sheet=sheet
    )
    sha, size = hash_file(path)
    unfinished = (
        ImportRun.objects.filter(
            file_hash=sha, kind=kind, status=ImportStatus.STARTED, undone_at__isnull=True
        )
        .select_related("job")
        .order_by("-created_at")
        .first()
    )
    if unfinished is not None:
        if import_run_busy(unfinished):
            raise Conflict(_("该文件正在导入中（导入 #%(id)s）。") % {"id": unfinished.pk})
        if unfinished.created_by_id == getattr(actor, "pk", None):
            ImportRun.objects.filter(pk=unfinished.pk).update(local_path=path)
            unfinished.local_path = path
            return unfinished, True
    mapping = _initial_mapping(kind, info["headers"], mapping_name)
    validate_mapping(_spec(kind), info["headers"], mapping)
    run = ImportRun.objects.create(
        kind=kind,
        created_by=actor,
        source="cli",
        file_name=os.path.basename(path)[:255],
        local_path=path,
        file_hash=sha,
        file_size=size,
        file_format=info["file_format"],
        encoding=info["encoding"],
        delimiter=info["delimiter"],
        sheet=info["sheet"],
        headers=info["headers"],
        mapping=mapping,
        options={"on_duplicate": on_duplicate or OnDuplicate.UPDATE},
    )
    return run, False


def _editable_run(actor: Any, run_id: Any) -> ImportRun:
    run = import_run_get(actor=actor, run_id=run_id)
    if run.status != ImportStatus.UPLOADED:
        raise Conflict(_("该导入已经开始，不能再修改设置。"), field="status")
    return run


@transaction.atomic
def import_configure(
    *,
    actor: Any,
    run_id: Any,
    mapping: Mapping[str, str] | Sequence[str] | None = None,
    mapping_name: str | None = None,
    on_duplicate: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> ImportRun:
    """Change how an uploaded file is read and mapped before it runs. A new encoding,
    delimiter or sheet re-reads the headers (and suggests the mapping again)."""
    run = _editable_run(actor, run_id)
    enc, delim = _check_options(encoding, delimiter, on_duplicate)
    if enc or delim or (sheet and sheet != run.sheet):
        from django.core.files.storage import default_storage

        with default_storage.open(run.storage_name, "rb") as fh:
            info = _read_headers(
                fh,
                file_name=run.file_name,
                encoding=enc or run.encoding,
                delimiter=delim or run.delimiter or None,
                sheet=sheet or run.sheet,
            )
        headers_changed = info["headers"] != run.headers
        for key in ("encoding", "delimiter", "sheet", "headers"):
            setattr(run, key, info[key])
        if headers_changed:
            run.mapping = suggest_mapping(run.kind, run.headers)
    if mapping_name:
        run.mapping = _initial_mapping(run.kind, run.headers, mapping_name)
    if mapping is not None:
        if isinstance(mapping, Mapping):
            unknown = [h for h in mapping if h not in run.headers]
            if unknown:
                raise ValidationFailed({f"mapping.{h}": _("文件中没有这一列。") for h in unknown})
            run.mapping = mapping_from_columns(run.kind, run.headers, mapping)
        else:
            run.mapping = [str(f or "") for f in mapping]
        validate_mapping(_spec(run.kind), run.headers, run.mapping)
    if on_duplicate:
        run.options = {**run.options, "on_duplicate": on_duplicate}
    run.save()
    return run


def import_preview(*, actor: Any, run_id: Any, rows: int = PREVIEW_ROWS) -> Preview:
    """A dry run of the first ``rows`` rows; nothing is written. Only before the run
    starts: a run that has started (or finished, or was undone) has its chunk checkpoints,
    which a dry run would reuse (409)."""
    run = import_run_get(actor=actor, run_id=run_id)
    if run.status != ImportStatus.UPLOADED:
        raise Conflict(
            _("该导入已经开始（或已完成、已撤销），不能再预览；要重新导入，请再上传一次文件。"),
            field="status",
        )
    validate_mapping(_spec(run.kind), run.headers, run.mapping)
    try:
        return import_dry_run(run=run, actor=_run_actor(run), limit=rows)
    except TabularError as exc:
        raise ValidationFailed({"file": file_message(exc)}) from exc


def _run_actor(run: ImportRun) -> Any:
    return run.created_by


@transaction.atomic
def import_start(*, actor: Any, run_id: Any) -> ImportRun:
    """Start the run as a background job (progress, worker and outcome in ``run.job``)."""
    from guanxi.imports.tasks import import_run_task

    run = _editable_run(actor, run_id)
    validate_mapping(_spec(run.kind), run.headers, run.mapping)
    if not can_import(actor, run.kind):
        raise PermissionDenied(_("你没有导入数据的权限。"))
    busy = (
        ImportRun.objects.filter(
            file_hash=run.file_hash, kind=run.kind, status=ImportStatus.STARTED
        )
        .exclude(pk=run.pk)
        .select_related("job")
    )
    if any(import_run_busy(other) for other in busy):
        raise Conflict(_("同一个文件正在导入中，请等它完成。"))
    job = job_create(kind="import", actor=actor, params={"run": run.pk})
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.STARTED, job=job, started_at=timezone.now()
    )
    run.refresh_from_db()
    enqueue_on_commit(import_run_task, run.pk, str(job.pk))
    return run


@transaction.atomic
def import_resume(*, actor: Any, run_id: Any) -> ImportRun:
    """Continue a run whose worker died or whose job failed, from its checkpoint."""
    from guanxi.imports.tasks import import_run_task

    run = import_run_get(actor=actor, run_id=run_id)
    if not (import_run_state(run) == FAILED or import_run_stalled(run)):
        raise Conflict(_("只有中断或失败的导入可以继续。"), field="status")
    job_supersede(job=run.job)  # a worker's sweep must not rerun the old task beside this one
    job = job_create(kind="import", actor=actor, params={"run": run.pk, "resume": True})
    ImportRun.objects.filter(pk=run.pk).update(job=job)
    run.refresh_from_db()
    enqueue_on_commit(import_run_task, run.pk, str(job.pk))
    return run


@transaction.atomic
def import_undo_start(*, actor: Any, run_id: Any) -> Job:
    from guanxi.imports.tasks import import_undo_task

    run = import_run_get(actor=actor, run_id=run_id)
    if run.status != ImportStatus.FINISHED:
        raise Conflict(_("只有已完成的导入可以撤销。"), field="status")
    if not can_import(actor, run.kind):
        raise PermissionDenied(_("你没有导入数据的权限。"))
    job = job_create(kind="import_undo", actor=actor, params={"run": run.pk})
    enqueue_on_commit(import_undo_task, run.pk, str(job.pk), actor.pk if actor else None)
    return job


# --- saved mappings ---------------------------------------------------------------------


@transaction.atomic
def mapping_save(*, actor: Any, kind: str, name: str, columns: Mapping[str, str]) -> ImportMapping:
    """Save (or replace) the named mapping template of ``kind``."""
    spec = _spec(kind)
    if not can_import(actor, kind):
        raise PermissionDenied(_("你没有导入数据的权限。"))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": _("名称须为 1–100 个字符。")})
    clean = {str(h).strip()[:255]: f for h, f in columns.items() if f}
    bad = {
        f"columns.{h}": _("未知字段“%(field)s”。") % {"field": f}
        for h, f in clean.items()
        if f not in spec.by_name
    }
    if bad:
        raise ValidationFailed(bad)
    if not clean:
        raise ValidationFailed({"columns": _("至少需要对应一列。")})
    existing = ImportMapping.objects.select_for_update().filter(kind=kind, name=name).first()
    if existing is None:
        try:
            with transaction.atomic():
                mapping = ImportMapping.objects.create(
                    kind=kind, name=name, columns=clean, created_by=actor
                )
        except IntegrityError as exc:
            raise Conflict(_("同名的映射模板已存在。"), field="name") from exc
        audit.audit_create(actor=actor, obj=mapping)
        return mapping
    if existing.created_by_id not in (None, getattr(actor, "pk", None)) and not (
        actor is None or permissions.can_manage_settings(actor)
    ):
        raise PermissionDenied(_("只有创建人或管理员可以修改这个映射模板。"))
    before = audit.snapshot(existing)
    existing.columns = clean
    existing.save()
    audit.audit_update(actor=actor, obj=existing, before=before)
    return existing


@transaction.atomic
def mapping_delete(*, actor: Any, mapping_id: int) -> None:
    mapping = ImportMapping.objects.select_for_update().filter(pk=mapping_id).first()
    if mapping is None or not permissions.is_staff_actor(actor):
        raise NotFound(_("映射模板不存在。"))
    if mapping.created_by_id != actor.pk and not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有创建人或管理员可以删除这个映射模板。"))
    audit.audit_delete(actor=actor, obj=mapping)
    mapping.delete()
