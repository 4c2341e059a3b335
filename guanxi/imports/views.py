"""Import and export in the web UI: upload → mapping → preview → run with progress →
results, error report and undo; exports of filtered lists. Each view parses input, calls
one service or selector of ``imports`` (or ``imports.exporting``), renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.errors import Conflict, DomainError, ValidationFailed
from guanxi.core.htmx import htmx
from guanxi.core.selectors import job_get
from guanxi.imports import exporting, registry, selectors, services
from guanxi.imports.api import XLSX_TYPE, error_report_response
from guanxi.imports.models import ImportRun, ImportStatus, OnDuplicate

TEMPLATES = "imports/"
ENCODING_CHOICES = [
    ("", "自动检测"),
    ("utf-8", "UTF-8"),
    ("gb18030", "GBK / GB18030"),
    ("big5", "Big5"),
    ("utf-16", "UTF-16"),
]


def _error_list(exc: DomainError) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [m for msgs in exc.errors.values() for m in msgs]
    return [exc.message]


@require_http_methods(["GET", "POST"])
@staff_required
def import_home(request: HttpRequest) -> HttpResponseBase:
    """Upload a file (and the list of recent imports). A role that may neither import nor
    export gets 403 here, before any upload is read."""
    if not selectors.may_use_import_page(actor=request.user):
        raise DjangoPermissionDenied
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors.append(_("请选择要导入的文件。"))
        else:
            try:
                run = services.import_upload(
                    actor=request.user,
                    kind=request.POST.get("kind", ""),
                    file=upload,
                    file_name=upload.name or "upload",
                    encoding=request.POST.get("encoding") or None,
                    sheet=request.POST.get("sheet") or None,
                    on_duplicate=request.POST.get("on_duplicate") or None,
                    mapping_name=request.POST.get("mapping_name") or None,
                )
            except DomainError as exc:
                if not isinstance(exc, ValidationFailed | Conflict):
                    raise
                errors = _error_list(exc)
            else:
                return redirect("imports:import_detail", pk=run.pk)
        status = 422
    context = {
        "runs": [
            (run, selectors.import_run_state_label(run))
            for run in selectors.import_runs(actor=request.user)[:20]
        ],
        "kinds": [(k.key, k.label) for k in selectors.importable_kinds(actor=request.user)],
        "encodings": ENCODING_CHOICES,
        "on_duplicate_choices": OnDuplicate.choices,
        "mappings": selectors.mappings(actor=request.user),
        "errors": errors,
        # not request.POST itself: a QueryDict has an ``encoding`` attribute of its own
        "posted": {k: request.POST.get(k, "") for k in ("kind", "encoding", "sheet")},
        "can_export": permissions.can_export(request.user),
        "export_lists": [(e.key, e.label) for e in registry.export_lists()],
    }
    return render(request, TEMPLATES + "home.html", context, status=status)


def _detail_context(request: HttpRequest, run: ImportRun, **extra: Any) -> dict[str, Any]:
    spec = registry.kind(run.kind).current_spec()
    samples = selectors.column_samples(run) if run.status == ImportStatus.UPLOADED else []
    columns = [
        {
            "index": i,
            "header": h,
            "field": run.mapping[i] if i < len(run.mapping) else "",
            "samples": samples[i] if i < len(samples) else [],
        }
        for i, h in enumerate(run.headers)
    ]
    return {
        "run": run,
        "spec": spec,
        "columns": columns,
        "fields": spec.fields,
        "preview_fields": [f for f in spec.fields if f.name in run.mapping],
        "on_duplicate_choices": OnDuplicate.choices,
        "encodings": ENCODING_CHOICES,
        "state": selectors.import_run_state(run),
        "undoing": selectors.import_run_undoing(run),
        "state_label": selectors.import_run_state_label(run),
        "stalled": selectors.import_run_stalled(run),
        "failure": selectors.import_run_failure(run),
        "mapping_errors": [],
        **extra,
    }


@require_http_methods(["GET", "POST"])
@staff_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The mapping form while the run is new; progress and results once it runs. POST
    saves the mapping (``action=preview`` also previews, ``action=run`` starts)."""
    run = selectors.import_run_get(actor=request.user, run_id=pk)
    if request.method == "GET" or run.status != ImportStatus.UPLOADED:
        return render(request, TEMPLATES + "detail.html", _detail_context(request, run))
    columns = {h: request.POST.get(f"col-{i}", "") for i, h in enumerate(run.headers)}
    action = request.POST.get("action", "preview")
    try:
        run = services.import_configure(
            actor=request.user,
            run_id=run.pk,
            mapping=[columns[h] for h in run.headers],
            on_duplicate=request.POST.get("on_duplicate") or None,
        )
        template_name = request.POST.get("template_name", "").strip()
        if template_name:
            services.mapping_save(
                actor=request.user,
                kind=run.kind,
                name=template_name,
                columns={h: f for h, f in columns.items() if f},
            )
            messages.success(request, _("映射模板“%(name)s”已保存。") % {"name": template_name})
        if action == "run":
            services.import_start(actor=request.user, run_id=run.pk)
            return redirect("imports:import_detail", pk=run.pk)
        preview = services.import_preview(actor=request.user, run_id=run.pk)
    except (ValidationFailed, Conflict) as exc:
        run.refresh_from_db()
        context = _detail_context(request, run, mapping_errors=_error_list(exc))
        for column in context["columns"]:
            column["field"] = columns.get(column["header"], "")
        return render(request, TEMPLATES + "detail.html", context, status=422)
    context = _detail_context(request, run, preview=preview)
    return render(request, TEMPLATES + "detail.html", context)


@require_GET
@staff_required
def import_status(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The results part of the page, polled while the import or its undo runs. Polled with
    ``?shown=<state>``: once the state differs from the one the page shows (finished, 已撤销),
    the whole page is reloaded, so its title badge, buttons and messages change with it."""
    run = selectors.import_run_get(actor=request.user, run_id=pk)
    context = _detail_context(request, run)
    shown = request.GET.get("shown")
    if htmx(request) and shown and shown != context["state"]:
        return HttpResponseClientRefresh()
    return render(request, TEMPLATES + "detail.html#results", context)


@require_POST
@staff_required
def import_action(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    try:
        if action == "resume":
            services.import_resume(actor=request.user, run_id=pk)
            messages.info(request, _("导入已继续。"))
        elif action == "undo":
            job = services.import_undo_start(actor=request.user, run_id=pk)
            job.refresh_from_db()
            messages.info(request, _("撤销已开始。") if not job.is_finished else _("导入已撤销。"))
        else:
            raise DjangoPermissionDenied
    except (ValidationFailed, Conflict) as exc:
        for message in _error_list(exc):
            messages.error(request, message)
    return redirect("imports:import_detail", pk=pk)


@require_GET
@staff_required
def import_errors(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    if fmt not in ("csv", "xlsx"):
        from django.http import Http404

        raise Http404
    run = selectors.import_run_get(actor=request.user, run_id=pk)
    return error_report_response(run, fmt)


# --- export ----------------------------------------------------------------------------


@require_GET
@staff_required
def export(request: HttpRequest) -> HttpResponseBase:
    """``?list=customers&format=xlsx&<the list's filters>``: a small list downloads at
    once, a large one becomes a job with a progress page."""
    params = request.GET.dict()
    # ``list`` names the list when its filters have a ``kind`` of their own (the customer
    # list's customer type); ``kind`` is the older name.
    kind = params.pop("list") if "list" in params else params.pop("kind", "customers")
    fmt = params.pop("format", "xlsx")
    params.pop("page", None)
    ip = request.META.get("REMOTE_ADDR")
    try:
        started = exporting.export_start(
            actor=request.user, kind=kind, fmt=fmt, params=params, ip=ip
        )
        if started.job is not None:
            return redirect("imports:export_job", job_id=started.job.pk)
        body = exporting.export_stream(actor=request.user, kind=kind, fmt=fmt, params=params, ip=ip)
    except ValidationFailed as exc:
        listed = registry.get_export_list(kind)
        back = reverse(listed.list_url) if listed is not None and listed.list_url else "/"
        return render(
            request,
            TEMPLATES + "export_error.html",
            {"errors": _error_list(exc), "back_url": back},
            status=400,
        )
    except DomainError as exc:
        if exc.status == 403:
            raise DjangoPermissionDenied(exc.message) from exc
        raise
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            body, content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, started.filename)
    return response


@require_GET
@staff_required
def export_job(request: HttpRequest, job_id: str) -> HttpResponseBase:
    job = job_get(actor=request.user, job_id=job_id)
    if job is None or job.kind != "export":
        from django.http import Http404

        raise Http404
    return render(request, TEMPLATES + "export_job.html", {"job": job})


@require_GET
@staff_required
def export_download(request: HttpRequest, job_id: str) -> HttpResponseBase:
    try:
        fh, name = exporting.export_file(actor=request.user, job_id=job_id)
    except ValidationFailed:
        return redirect("imports:export_job", job_id=job_id)
    content_type = XLSX_TYPE if name.endswith(".xlsx") else "text/csv; charset=utf-8"
    return FileResponse(fh, as_attachment=True, filename=name, content_type=content_type)
