"""What the customer pages share: the 360 page's template and the sections an inline
write reloads, and the inline write / edit / one-click patterns of its records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.http import trigger_client_event

from guanxi.accounts import permissions
from guanxi.core.db.paging import Page
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.forms import VersionForm, add_domain_errors
from guanxi.core.htmx import htmx_target
from guanxi.customers import selectors
from guanxi.customers.models import RECYCLE_BIN_DAYS, Customer

DETAIL = "customers/customer_detail.html"
# Errors in what the user typed go back on the form; NotFound/PermissionDenied propagate
# to ``staff_required`` and become 404/403.
INPUT_ERRORS = (ValidationFailed, Conflict)


# Which parts of the 360 page an inline write changes: the response's HX-Trigger names
# them and each part reloads itself (see the ``hx-trigger`` of the sections).
AFFECTS = {
    "contact": ("contacts", "communication-form", "timeline", "history"),
    "preference": ("preferences", "timeline", "history"),
    "communication": ("followups", "timeline", "history"),
    # Edits and deletes: a contact's or preference's row is swapped in place (so its
    # "saved" mark stays) and writes no timeline entry; a communication's timeline entry is
    # rewritten with it.
    "contact-change": ("communication-form", "history"),
    "preference-change": ("history",),
    # a delete reloads the list too, so an emptied list says so
    "contact-delete": ("contacts", "communication-form", "history"),
    "preference-delete": ("preferences", "history"),
    "communication-change": ("followups", "timeline", "history"),
    "collaborator": ("collaborators", "timeline", "history"),
}


def page_number(request: HttpRequest, name: str = "page") -> int:
    try:
        return max(1, min(int(request.GET.get(name, 1)), 100_000))
    except (TypeError, ValueError):
        return 1


def filter_errors_of(exc: ValidationFailed, labels: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A list page's refused filters as (label, message) pairs, every one at once."""
    return [(str(labels.get(name, name)), msg) for name, msgs in exc.errors.items() for msg in msgs]


def list_response(
    request: HttpRequest,
    *,
    template: str,
    target: str,
    page: Page | None,
    filters: Any,
    errors: list[tuple[str, str]],
    context: dict[str, Any],
) -> HttpResponse:
    """A list page (contacts, communications): the whole page, or with ``HX-Target:
    <target>`` (its search box, filters, sort and paging links) only the results. The
    export buttons carry the parsed filters, so an export holds the rows shown."""
    context = {
        **context,
        "page": page,
        "filter_errors": errors,
        "params": request.GET,
        "export_query": urlencode(filters.as_params()) if filters is not None else "",
        "can_export": permissions.can_export(request.user),
    }
    partial = htmx_target(request) == target
    if not partial:
        context["owners"] = selectors.owners(actor=request.user).only(
            "id", "username", "display_name", "first_name", "last_name"
        )
    response = render(
        request, template + ("#results" if partial else ""), context, status=400 if errors else 200
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def changed(response: HttpResponse, what: str) -> HttpResponse:
    for part in AFFECTS[what]:
        trigger_client_event(response, f"gx:{part}")
    return response


def base_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return {
        "customer": customer,
        "can_change": permissions.can_change_customer(request.user, customer),
        "can_log": permissions.can_log_communication(request.user, customer),
        "today": timezone.localdate(),
        "recycle_bin_days": RECYCLE_BIN_DAYS,
    }


# --- inline writes on the 360 page -------------------------------------------------------


def inline_write(
    request: HttpRequest,
    *,
    partial: str,
    context: dict[str, Any],
    form: Any,
    write: Callable[[], Any],
    fresh: Callable[[], dict[str, Any]],
    affects: str,
    field_map: Callable[[str], str] | None = None,
    formset: Any = None,
    failed: Callable[[], dict[str, Any]] | None = None,
) -> HttpResponse:
    """Validate ``form`` (and ``formset``), run ``write`` (one service call); on success
    answer a fresh form and name the sections to reload, else the form with its errors
    (and what ``failed`` adds to explain them, e.g. the likely duplicates)."""
    valid = form.is_valid() and (formset is None or formset.is_valid())
    if valid:
        try:
            write()
        except INPUT_ERRORS as exc:
            add_domain_errors(form, exc, field_map)
        else:
            response = render(request, f"{DETAIL}#{partial}", {**context, **fresh(), "saved": True})
            return changed(response, affects)
    if failed is not None:
        context = {**context, **failed()}
    return render(request, f"{DETAIL}#{partial}", context, status=422)


# --- editing, deleting and one-click actions on the 360 page ------------------------------
#
# A record's row swaps in place for its edit form (GET …/edit/) and back (the row URL, or
# the saved row after POST). Every write sends the version the user saw; a stale one is
# refused by the service and answered with 409 and the record as it is now.


def require(allowed: bool) -> None:
    if not allowed:
        raise DjangoPermissionDenied


def is_stale(exc: Exception) -> bool:
    return isinstance(exc, Conflict) and exc.field == "version"


def edit_record(
    request: HttpRequest,
    *,
    partial: str,
    context: dict[str, Any],
    form: Any,
    write: Callable[[], Any],
    saved: Callable[[Any], tuple[str, dict[str, Any]]],
    affects: str,
    field_map: Callable[[str], str] | None = None,
    failed: Callable[[], dict[str, Any]] | None = None,
) -> HttpResponse:
    """GET: the edit form. POST: validate ``form``, run ``write`` (one service call); on
    success render what ``saved`` names (the fresh row) and name the sections to reload,
    else the form with its errors — 409 with a notice when someone saved first."""
    context = {**context, "form": form}
    if request.method == "GET":
        return render(request, f"{DETAIL}#{partial}", context)
    status = 422
    if form.is_valid():
        try:
            result = write()
        except INPUT_ERRORS as exc:
            add_domain_errors(form, exc, field_map)
            if is_stale(exc):
                status, context["stale"] = 409, True
        else:
            template, fresh = saved(result)
            return changed(render(request, f"{DETAIL}#{template}", fresh), affects)
    if failed is not None:
        context.update(failed())
    return render(request, f"{DETAIL}#{partial}", context, status=status)


def one_click(
    request: HttpRequest,
    *,
    partial: str,
    row: Callable[[], dict[str, Any]],
    write: Callable[[int], Any],
    affects: str,
) -> HttpResponse:
    """A confirmed click (delete, follow-up done) that removes its row: POST ``version``.
    Success answers an empty row and the sections to reload; a refusal answers the row as
    it is now with the reason (409 when the record changed since the page was loaded)."""
    form = VersionForm(request.POST)
    if not form.is_valid():
        error, status = _("请求无效，请刷新页面后重试。"), 422
    else:
        try:
            write(form.cleaned_data["version"])
        except INPUT_ERRORS as exc:
            stale = is_stale(exc)
            error = (
                _("这条记录刚被他人修改，下面已是最新内容；请确认后再操作。")
                if stale
                else exc.message
            )
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            return changed(HttpResponse(""), affects)
    return render(request, f"{DETAIL}#{partial}", {**row(), "row_error": error}, status=status)
