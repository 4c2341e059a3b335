"""The duplicate review UI: the queue (with the scan and its progress), the side-by-side merge
page where the user picks the surviving value of each field, and the merge history with undo.
Views parse input, call one selector or service, and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from guanxi.accounts.decorators import staff_required
from guanxi.core.db.paging import paginate
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.htmx import htmx, htmx_target
from guanxi.core.selectors import job_get
from guanxi.customers.duplicates import scan, selectors, services
from guanxi.customers.duplicates.scope import may_decide

QUEUE = "customers/duplicates/queue.html"
MERGE = "customers/duplicates/merge.html"
HISTORY = "customers/duplicates/history.html"
PAGE_SIZE = 25


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except (TypeError, ValueError):
        return 1


def _is_htmx(request: HttpRequest) -> bool:
    return bool(htmx(request))


@require_GET
@staff_required
def duplicate_queue(request: HttpRequest) -> HttpResponse:
    """Candidate pairs, most likely first; ``?job=`` shows a running scan's progress. With
    ``HX-Target: dup-results`` only the list."""
    page = paginate(
        selectors.candidate_queue(actor=request.user),
        page=_page_number(request),
        size=PAGE_SIZE,
    )
    for candidate in page.items:
        candidate.can_merge = may_decide(request.user, candidate)
    job = None
    if "job" in request.GET:
        job = job_get(actor=request.user, job_id=request.GET.get("job"))
    context: dict[str, Any] = {
        "page": page,
        "job": job,
        "can_scan": scan.can_scan(request.user),
    }
    partial = htmx_target(request) == "dup-results"
    return render(request, QUEUE + ("#results" if partial else ""), context)


@require_POST
@staff_required
def duplicate_scan(request: HttpRequest) -> HttpResponse:
    job = scan.duplicate_scan_start(actor=request.user)
    if _is_htmx(request):
        fresh = job_get(actor=request.user, job_id=job.pk)
        return render(request, f"{QUEUE}#scan-job", {"job": fresh})
    return redirect(f"{reverse('customers:duplicates')}?job={job.pk}")


@require_POST
@staff_required
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = services.candidate_dismiss(actor=request.user, candidate_id=pk)
    if _is_htmx(request):
        return trigger_client_event(HttpResponse(""), "gx:duplicates")
    messages.success(
        request,
        _("已忽略：“%(a)s”（编号 %(a_id)s）与“%(b)s”（编号 %(b_id)s）不是重复客户。")
        % {
            "a": candidate.customer_a.name,
            "a_id": candidate.customer_a_id,
            "b": candidate.customer_b.name,
            "b_id": candidate.customer_b_id,
        },
    )
    return redirect("customers:duplicates")


def _merge_input(request: HttpRequest, a: int, b: int) -> dict[str, Any]:
    """The service arguments from the merge form: radio ``survivor``, one radio
    ``field:<name>`` per field, the versions the page was rendered with."""
    survivor = request.POST.get("survivor", "")
    merged = str(b) if survivor == str(a) else str(a) if survivor == str(b) else ""
    return {
        "survivor_id": survivor or "",
        "merged_id": merged,
        "survivor_version": request.POST.get(f"version_{survivor}", ""),
        "merged_version": request.POST.get(f"version_{merged}", ""),
        "fields": {
            key.removeprefix("field:"): value
            for key, value in request.POST.items()
            if key.startswith("field:")
        },
    }


@require_http_methods(["GET", "POST"])
@staff_required
def merge_page(request: HttpRequest, a: int, b: int) -> HttpResponse:
    try:
        preview = selectors.merge_preview(actor=request.user, a_id=a, b_id=b)
    except ValidationFailed as exc:  # the same customer twice: nothing to compare
        messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
        return redirect("customers:detail", pk=a)
    error: str = ""
    errors: list[str] = []
    status = 200
    survivor = preview.a.pk
    if request.method == "POST":
        data = _merge_input(request, a, b)
        if not data["merged_id"]:
            errors = [_("请选择要保留的客户。")]
            status = 422
        else:
            survivor = int(data["survivor_id"])
            try:
                record = services.customer_merge(actor=request.user, **data)
            except Conflict as exc:
                error, status = exc.message, 409
            except ValidationFailed as exc:
                errors = [f"{k}: {m}" for k, msgs in exc.errors.items() for m in msgs]
                status = 422
            else:
                messages.success(
                    request,
                    format_html(
                        _(
                            "已将“{merged}”（编号 {merged_id}）合并到“{survivor}”（编号 "
                            '{survivor_id}）。<a href="{url}">查看合并记录或撤销</a>'
                        ),
                        merged=record.merged_name,
                        merged_id=record.merged_id,
                        survivor=record.survivor_name,
                        survivor_id=record.survivor_id,
                        url=reverse("customers:merges"),
                    ),
                )
                return redirect("customers:detail", pk=record.survivor_id)
    rows = [(row, _checked(request, row.name, row.default)) for row in preview.rows]
    context = {
        "preview": preview,
        "rows": rows,
        "survivor": survivor,
        "error": error,
        "errors": errors,
    }
    return render(request, MERGE, context, status=status)


def _checked(request: HttpRequest, name: str, default: int) -> int:
    """The side a field's radio shows selected: what the user posted, else the suggestion."""
    try:
        return int(request.POST.get(f"field:{name}", default))
    except (TypeError, ValueError):
        return default


@require_GET
@staff_required
def merge_history(request: HttpRequest) -> HttpResponse:
    qs = selectors.merge_history(actor=request.user)
    page = paginate(qs, page=_page_number(request), size=PAGE_SIZE)
    return render(request, HISTORY, {"page": page})


@require_POST
@staff_required
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        record = services.customer_merge_undo(actor=request.user, merge_id=pk)
    except Conflict as exc:
        page = paginate(selectors.merge_history(actor=request.user), page=1, size=PAGE_SIZE)
        return render(
            request, HISTORY, {"page": page, "error": exc.message, "error_id": pk}, status=409
        )
    messages.success(
        request,
        format_html(
            _('已撤销合并，“<a href="{url}">{name}</a>”（编号 {id}）已恢复为独立客户。'),
            url=reverse("customers:detail", args=[record.merged_id]),
            name=record.merged_name,
            id=record.merged_id,
        ),
    )
    return redirect("customers:merges")
