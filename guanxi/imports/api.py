"""The import and export API: ``/api/v1/imports`` and ``/api/v1/exports``.

An import is a run: upload the file (multipart) → it answers the headers and the
suggested mapping → change the mapping or options (PATCH) → preview (a dry run, nothing
written) → run (a job; poll ``/api/v1/jobs/{job_id}``) → the error report → undo.
Exports start a job whose file is downloaded when it has finished. The kinds and lists
are the registered ones (``registry``), read when this module is imported (after every
app's ``importers`` ran), so the OpenAPI document lists them.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, StringConstraints

from guanxi.accounts import permissions
from guanxi.core.errors import PermissionDenied
from guanxi.imports import exporting, registry, selectors, services
from guanxi.imports.messages import row_message
from guanxi.imports.models import ImportRun
from guanxi.imports.report import report_csv, report_xlsx

F = TypeVar("F", bound=Callable[..., Any])

router = Router(tags=["import / export"])


def _staff_only(view: F) -> F:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not permissions.is_staff_actor(request.user):
            raise PermissionDenied(_("客户门户用户无权使用员工端 API。"))
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


router.add_decorator(_staff_only)


def _literal(values: list[str]) -> Any:
    # ``Literal[("a", "b")]`` is ``Literal["a", "b"]``: the values known at import time
    return Literal[tuple(values)] if values else str


if TYPE_CHECKING:
    KindValue = str
    ExportKindValue = str
else:
    KindValue = _literal([k.key for k in registry.kinds()])
    ExportKindValue = _literal([e.key for e in registry.export_lists()])
OnDuplicateValue = Literal["update", "skip", "create"]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ShortText = Annotated[str, StringConstraints(max_length=100)]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class FieldOut(Schema):
    name: str
    label: str
    required: bool
    type: str


class ImportRunOut(Schema):
    id: int
    kind: KindValue
    kind_label: str
    status: str = Field(
        description="uploaded, running, failed (resumable), finished or undone; the job "
        "(job_id) has the progress"
    )
    file_name: str
    file_format: str
    encoding: str
    delimiter: str
    sheet: str
    sheet_names: list[str]
    headers: list[str]
    mapping: dict[str, str] = Field(description="header → field for the mapped columns")
    on_duplicate: OnDuplicateValue
    job_id: str | None
    total_rows: int | None
    processed_rows: int
    created: int
    updated: int
    skipped: int
    failed: int
    checkpoint_row: int
    stalled: bool = Field(description="running, but its worker has died: it can be resumed")
    message: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    undone_at: dt.datetime | None


def _run_out(run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "kind_label": run.kind_label,
        "status": selectors.import_run_state(run),
        "file_name": run.file_name,
        "file_format": run.file_format,
        "encoding": run.encoding,
        "delimiter": run.delimiter,
        "sheet": run.sheet,
        "sheet_names": list(run.options.get("sheet_names", [])),
        "headers": run.headers,
        "mapping": {h: f for h, f in zip(run.headers, run.mapping, strict=False) if f},
        "on_duplicate": run.on_duplicate,
        "job_id": str(run.job_id) if run.job_id else None,
        "total_rows": run.total_rows,
        "processed_rows": run.processed_rows,
        "created": run.created_count,
        "updated": run.updated_count,
        "skipped": run.skipped_count,
        "failed": run.failed_count,
        "checkpoint_row": run.checkpoint_row,
        "stalled": selectors.import_run_stalled(run),
        "message": selectors.import_run_failure(run) or run.message,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "undone_at": run.undone_at,
    }


class ImportConfigureIn(StrictIn):
    mapping: dict[Annotated[str, StringConstraints(max_length=255)], ShortText] | None = Field(
        None, description="header → field name; headers left out are not imported"
    )
    mapping_name: ShortText | None = Field(None, description="apply a saved mapping template")
    on_duplicate: OnDuplicateValue | None = None
    encoding: ShortText | None = None
    delimiter: Literal[",", ";", "tab", "|"] | None = None
    sheet: ShortText | None = None


class RowIssueOut(Schema):
    column: str
    value: str
    message: str


class PreviewRowOut(Schema):
    row: int
    action: str = Field(description="create, update, unchanged, skip, covered or fail")
    values: dict[str, str]
    issues: list[RowIssueOut]


class PreviewOut(Schema):
    counts: dict[str, int]
    sampled_rows: int
    whole_file: bool
    rows: list[PreviewRowOut]
    errors: list[dict[str, Any]]


class RowErrorOut(Schema):
    row: int
    column: str
    value: str
    code: str
    message: str


class ErrorPageOut(Schema):
    count: int
    items: list[RowErrorOut]


class JobRefOut(Schema):
    job_id: str
    status: str


class MappingIn(StrictIn):
    kind: KindValue
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    columns: dict[Annotated[str, StringConstraints(max_length=255)], ShortText] = Field(
        max_length=1024
    )


class MappingOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    columns: dict[str, str]


# --- imports ---------------------------------------------------------------------------


class KindOut(Schema):
    key: str
    label: str


@router.get("/imports/kinds", response=list[KindOut])
def import_kinds(request: HttpRequest) -> list[dict[str, str]]:
    """The kinds of record the user may import (each app registers its own)."""
    return [
        {"key": k.key, "label": str(k.label)}
        for k in selectors.importable_kinds(actor=request.user)
    ]


@router.get("/imports/fields/{kind}", response=list[FieldOut])
def import_fields(request: HttpRequest, kind: KindValue) -> list[dict[str, Any]]:
    """The fields a file of ``kind`` can map its columns to."""
    return [
        {"name": f.name, "label": str(f.label), "required": f.required, "type": f.type}
        for f in registry.kind(kind).current_spec().fields
    ]


@router.get("/imports/mappings", response=list[MappingOut])
def mapping_list(request: HttpRequest, kind: KindValue | None = None) -> Any:
    return list(selectors.mappings(actor=request.user, kind=kind))


@router.post("/imports/mappings", response={201: MappingOut})
def mapping_save(request: HttpRequest, payload: MappingIn) -> Status[Any]:
    """Save a mapping template (a template of the same kind and name is replaced)."""
    mapping = services.mapping_save(
        actor=request.user, kind=payload.kind, name=payload.name, columns=payload.columns
    )
    return Status(201, mapping)


@router.delete("/imports/mappings/{mapping_id}", response={204: None})
def mapping_delete(request: HttpRequest, mapping_id: RunId) -> Status[None]:
    services.mapping_delete(actor=request.user, mapping_id=mapping_id)
    return Status(204, None)


@router.post("/imports", response={201: ImportRunOut})
def import_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[KindValue],
    encoding: Form[ShortText | None] = None,
    delimiter: Form[Literal[",", ";", "tab", "|"] | None] = None,
    sheet: Form[ShortText | None] = None,
    on_duplicate: Form[OnDuplicateValue | None] = None,
    mapping_name: Form[ShortText | None] = None,
) -> Status[Any]:
    """Upload a CSV/XLSX file (multipart). Hostile or unreadable files answer 422 naming the
    problem. The answer has the headers and the suggested mapping."""
    run = services.import_upload(
        actor=request.user,
        kind=kind,
        file=file,
        file_name=file.name or "upload",
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        on_duplicate=on_duplicate,
        mapping_name=mapping_name,
        source="api",
    )
    return Status(201, _run_out(run))


@router.get("/imports", response=list[ImportRunOut])
def import_list(
    request: HttpRequest,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[dict[str, Any]]:
    runs = selectors.import_runs(actor=request.user)[offset : offset + limit]
    return [_run_out(r) for r in runs]


@router.get("/imports/{run_id}", response=ImportRunOut)
def import_detail(request: HttpRequest, run_id: RunId) -> dict[str, Any]:
    return _run_out(selectors.import_run_get(actor=request.user, run_id=run_id))


@router.patch("/imports/{run_id}", response=ImportRunOut)
def import_configure(request: HttpRequest, run_id: RunId, payload: ImportConfigureIn) -> Any:
    """Change the mapping or how the file is read, before the run starts."""
    data = payload.model_dump(exclude_unset=True)
    run = services.import_configure(actor=request.user, run_id=run_id, **data)
    return _run_out(run)


@router.post("/imports/{run_id}/preview", response=PreviewOut)
def import_preview(request: HttpRequest, run_id: RunId) -> dict[str, Any]:
    """A dry run of the first rows: the values as they would be stored, per-row errors and
    how many rows would be created, updated, skipped or rejected. Nothing is written."""
    preview = services.import_preview(actor=request.user, run_id=run_id)
    return {
        "counts": preview.counts,
        "sampled_rows": preview.sampled_rows,
        "whole_file": preview.whole_file,
        "rows": [
            {"row": r.row, "action": r.action, "values": r.values, "issues": r.issues}
            for r in preview.rows
        ],
        "errors": [
            {
                "row": row,
                "column": issue.column,
                "value": issue.value,
                "code": issue.code,
                "message": row_message(issue.code, issue.params),
            }
            for row, issue in preview.errors[:500]
        ],
    }


@router.post("/imports/{run_id}/run", response={202: ImportRunOut})
def import_run(request: HttpRequest, run_id: RunId) -> Status[Any]:
    """Start the import as a job; follow it at ``/api/v1/jobs/{job_id}``."""
    run = services.import_start(actor=request.user, run_id=run_id)
    return Status(202, _run_out(run))


@router.post("/imports/{run_id}/resume", response={202: ImportRunOut})
def import_resume(request: HttpRequest, run_id: RunId) -> Status[Any]:
    """Continue an interrupted or failed import from its checkpoint."""
    run = services.import_resume(actor=request.user, run_id=run_id)
    return Status(202, _run_out(run))


@router.post("/imports/{run_id}/undo", response={202: JobRefOut})
def import_undo(request: HttpRequest, run_id: RunId) -> Status[Any]:
    """Undo a finished import (a job): remove what it created, restore what it updated."""
    job = services.import_undo_start(actor=request.user, run_id=run_id)
    return Status(202, {"job_id": str(job.pk), "status": job.status})


@router.get("/imports/{run_id}/errors", response=ErrorPageOut)
def import_errors(
    request: HttpRequest,
    run_id: RunId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    run = selectors.import_run_get(actor=request.user, run_id=run_id)
    qs = selectors.row_errors(run=run)
    return {
        "count": qs.count(),
        "items": [
            {
                "row": e.row,
                "column": e.column,
                "value": e.value,
                "code": e.code,
                "message": row_message(e.code, e.params),
            }
            for e in qs[offset : offset + limit]
        ],
    }


@router.get(
    "/imports/{run_id}/errors/{fmt}",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "the error report file"}}},
)
def import_error_report(
    request: HttpRequest, run_id: RunId, fmt: Literal["csv", "xlsx"]
) -> HttpResponseBase:
    """The error report as CSV or XLSX: row number, column, value, message (in the
    language of the request)."""
    run = selectors.import_run_get(actor=request.user, run_id=run_id)
    return error_report_response(run, fmt)


def error_report_response(run: ImportRun, fmt: str) -> HttpResponseBase:
    name = f"{_('导入错误')}-{run.pk}.{fmt}"
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            report_csv(run), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse
    report_xlsx(run, tmp)
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=name, content_type=XLSX_TYPE)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- exports ---------------------------------------------------------------------------


def _filters_help() -> str:
    return "; ".join(f"{e.key}: {e.filters}" for e in registry.export_lists() if e.filters)


class ExportIn(StrictIn):
    kind: ExportKindValue
    format: Literal["csv", "xlsx"] = "xlsx"
    filters: dict[ShortText, Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=dict, description=_filters_help(), max_length=20
    )


@router.post("/exports", response={202: JobRefOut})
def export_start(request: HttpRequest, payload: ExportIn) -> Status[Any]:
    """Export a filtered list as a job; download it from ``/exports/{job_id}/download``
    when ``/jobs/{job_id}`` says it has succeeded. Needs the export permission."""
    started = exporting.export_start(
        actor=request.user,
        kind=payload.kind,
        fmt=payload.format,
        params=payload.filters,
        ip=request.META.get("REMOTE_ADDR"),
        force_job=True,
    )
    assert started.job is not None
    started.job.refresh_from_db()
    return Status(202, {"job_id": str(started.job.pk), "status": started.job.status})


@router.get(
    "/exports/{job_id}/download",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "the exported file"}}},
)
def export_download(request: HttpRequest, job_id: str) -> HttpResponseBase:
    fh, name = exporting.export_file(actor=request.user, job_id=job_id)
    content_type = XLSX_TYPE if name.endswith(".xlsx") else "text/csv; charset=utf-8"
    return FileResponse(fh, as_attachment=True, filename=name, content_type=content_type)
