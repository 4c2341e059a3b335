"""The customer list + search, create/edit with the entry check (查重), the 360 page
and its sections, and the move to the recycle bin. Every read goes through
``customers.selectors`` (scoped by the actor) and every write through ``customers.services``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.db.paging import Page
from guanxi.core.errors import Conflict, NotFound, ValidationFailed
from guanxi.core.forms import VersionForm, add_domain_errors
from guanxi.core.htmx import htmx, htmx_target
from guanxi.core.limits import parse_id
from guanxi.core.templatetags.gx import attach_change_rows
from guanxi.customers import panels, selectors, services
from guanxi.customers.forms import (
    CommunicationForm,
    ContactForm,
    CustomerForm,
    PreferenceForm,
    custom_field_label,
)
from guanxi.customers.models import RECYCLE_BIN_DAYS, Customer, CustomerKind, CustomerStatus
from guanxi.customers.timeline import kind_info
from guanxi.customers.views.base import (
    DETAIL,
    INPUT_ERRORS,
    base_context,
    is_stale,
    page_number,
    require,
)

LIST_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20


FILTER_LABELS = {
    "q": gettext_lazy("搜索"),
    "status": gettext_lazy("状态"),
    "kind": gettext_lazy("类型"),
    "owner": gettext_lazy("客户经理"),
    "team": gettext_lazy("部门"),
    "tag": gettext_lazy("标签"),
    "province": gettext_lazy("省份"),
    "city": gettext_lazy("城市"),
    "sort": gettext_lazy("排序"),
}

SORT_OPTIONS = [
    ("-created", gettext_lazy("最新创建")),
    ("created", gettext_lazy("最早创建")),
    ("name", gettext_lazy("名称")),
    ("-since", gettext_lazy("起始日期（新→旧）")),
    ("since", gettext_lazy("起始日期（旧→新）")),
    ("status", gettext_lazy("状态")),
]


# --- list ------------------------------------------------------------------------------


@require_GET
@staff_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """The list page; with ``HX-Target: customer-results`` (the search box, filters, sort and
    pagination links) only the results partial."""
    filter_errors: list[tuple[str, str]] = []
    try:
        filters = selectors.validate_filters(request.GET.dict())
    except ValidationFailed as exc:
        filter_errors = [
            (str(FILTER_LABELS.get(name, name)), msg)
            for name, msgs in exc.errors.items()
            for msg in msgs
        ]
        page = None
    else:
        page = selectors.customer_list(
            actor=request.user, filters=filters, page=page_number(request), size=LIST_PAGE_SIZE
        )
    context: dict[str, Any] = {
        "page": page,
        "filter_errors": filter_errors,
        "params": request.GET,
        "can_create": permissions.can_create_customer(request.user),
        "can_export": permissions.can_export(request.user),
    }
    partial = htmx_target(request) == "customer-results"
    if not partial:
        context.update(
            statuses=CustomerStatus.choices,
            kinds=CustomerKind.choices,
            owners=selectors.owners(actor=request.user).only(
                "id", "username", "display_name", "first_name", "last_name"
            ),
            teams=selectors.teams(actor=request.user),
            tags=selectors.tags(actor=request.user),
            sort_options=SORT_OPTIONS,
        )
    template = "customers/customer_list.html" + ("#results" if partial else "")
    response = render(request, template, context, status=400 if filter_errors else 200)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# --- create / edit -----------------------------------------------------------------------


def _customer_form(request: HttpRequest, customer: Customer | None = None) -> CustomerForm:
    owners = (
        selectors.assignable_owners(
            actor=request.user, current_id=customer.owner_id if customer else None
        )
        if permissions.can_assign_owner(request.user)
        else None
    )
    return CustomerForm(
        request.POST if request.method == "POST" else None,
        owners=owners,
        custom_fields=selectors.custom_field_definitions(actor=request.user),
        customer=customer,
    )


def _render_customer_form(
    request: HttpRequest, form: CustomerForm, customer: Customer | None, *, status: int = 200,
    stale: bool = False,
) -> HttpResponse:  # fmt: skip
    matches: list[Any] = []
    if form.is_bound and "duplicate_reason" in form.errors:
        data = form.cleaned_data
        matches = selectors.likely_duplicates(
            actor=request.user,
            name=data.get("name") or "",
            phone=data.get("phone") or "",
            email=data.get("email") or "",
            exclude_id=customer.pk if customer else None,
        )
    context = {
        "form": form,
        "customer": customer,
        "stale": stale,
        "tags": selectors.tags(actor=request.user),
        "matches": matches,
    }
    return render(request, "customers/customer_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def customer_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_customer(request.user):
        raise DjangoPermissionDenied
    form = _customer_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, **form.service_kwargs())
        except INPUT_ERRORS as exc:
            add_domain_errors(form, exc, CustomerForm.error_field_map)
        else:
            messages.success(request, _("客户“%(name)s”已创建。") % {"name": customer.name})
            return redirect(customer)
    status = 422 if request.method == "POST" else 200
    return _render_customer_form(request, form, None, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    if not permissions.can_change_customer(request.user, customer):
        raise DjangoPermissionDenied
    form = _customer_form(request, customer)
    stale = False
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                actor=request.user, customer_id=customer.pk, **form.service_kwargs()
            )
        except INPUT_ERRORS as exc:
            stale = isinstance(exc, Conflict) and exc.field == "version"
            add_domain_errors(form, exc, CustomerForm.error_field_map)
        else:
            messages.success(request, _("客户“%(name)s”已保存。") % {"name": customer.name})
            return redirect(customer)
    status = (409 if stale else 422) if request.method == "POST" else 200
    return _render_customer_form(request, form, customer, status=status, stale=stale)


@require_GET
@staff_required
def duplicate_check(request: HttpRequest) -> HttpResponse:
    """The entry check (查重) while the user types a customer's name, phone or e-mail
    (htmx, debounced): likely duplicates the user may see, with links, and the field for
    the reason to save anyway; an empty answer when there are none."""
    try:
        exclude = parse_id(request.GET["exclude"]) if request.GET.get("exclude") else None
    except ValueError:
        exclude = None
    matches = selectors.likely_duplicates(
        actor=request.user,
        name=request.GET.get("name", "")[:200],
        phone=request.GET.get("phone", "")[:40],
        email=request.GET.get("email", "")[:254],
        exclude_id=exclude,
    )
    return _duplicate_warning(request, matches, CustomerForm())


def _duplicate_warning(request: HttpRequest, matches: list[Any], form: Any) -> HttpResponse:
    html = render_to_string(
        "customers/duplicate_check.html", {"matches": matches, "form": form}, request=request
    )
    response = HttpResponse(html.strip())  # empty when no match: the box collapses
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- the 360 page ------------------------------------------------------------------------


def _timeline_page(actor: Any, customer: Customer, page: int) -> Page:
    result = selectors.timeline_page(customer=customer, page=page, size=TIMELINE_PAGE_SIZE)
    for entry in result.items:
        entry.kind_display = kind_info(entry.kind)
    attach_change_rows(
        result.items,
        actor=actor,
        model_attr="subject_model",
        changes=lambda e: (e.data or {}).get("changes"),
    )
    return result


def _history(actor: Any, customer: Customer) -> list[Any]:
    entries = selectors.change_history(customer=customer)
    attach_change_rows(entries, actor=actor, model_attr="model", changes=lambda e: e.changes)
    return entries


SECTIONS: dict[str, Callable[[HttpRequest, Customer], dict[str, Any]]] = {
    "preferences": lambda request, c: {"preferences": selectors.preferences_of(customer=c)},
    "contacts": lambda request, c: {"contacts": selectors.contacts_of(customer=c)},
    "followups": lambda request, c: {"follow_ups": selectors.open_follow_ups(customer=c)},
    "timeline": lambda request, c: {"timeline": _timeline_page(request.user, c, 1)},
    "history": lambda request, c: {"history": _history(request.user, c)},
    "collaborators": lambda request, c: {"collaborators": selectors.collaborators_of(customer=c)},
    # The 360 page's entry forms come on first opening (each costs as much to render as a
    # panel, and most visits open none); each needs the right the write behind it needs.
    "communication-form": lambda request, c: {
        "communication_form": CommunicationForm(contacts=selectors.contacts_of(customer=c))
    },
    "contact-form": lambda request, c: {"contact_form": ContactForm()},
    "preference-form": lambda request, c: {"preference_form": PreferenceForm()},
}
FORM_SECTIONS = {
    "communication-form": "can_log",
    "contact-form": "can_change",
    "preference-form": "can_change",
}


@require_GET
@staff_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = selectors.customer_get(actor=request.user, customer_id=pk)
    except NotFound:
        # A merged-away customer's old links (bookmarks, mails, other records) lead on to
        # the customer it was merged into, when the reader may see that one.
        found = selectors.merge_survivor(actor=request.user, customer_id=pk)
        if found is None:
            raise
        survivor, merged_name = found
        messages.info(
            request,
            _("客户“%(merged)s”（编号 %(merged_id)s）已合并到“%(name)s”（编号 %(id)s），"
              "已为你打开后者。")
            % {"merged": merged_name, "merged_id": pk, "name": survivor.name, "id": survivor.pk},
        )  # fmt: skip
        return redirect(survivor)
    context = base_context(request, customer)
    context["preferences"] = selectors.preferences_of(customer=customer)
    context["contacts"] = selectors.contacts_of(customer=customer)
    context["follow_ups"] = selectors.open_follow_ups(customer=customer)
    context["collaborators"] = selectors.collaborators_of(customer=customer)
    for column in ("main", "side"):
        context[f"{column}_panels"] = panels.panels(column)
        for extra in context[f"{column}_panels"]:
            context.update(extra.context(request, customer, context["can_change"]))
    context["timeline"] = _timeline_page(request.user, customer, 1)
    context["history"] = _history(request.user, customer)
    context["custom_fields"] = _custom_values(request, customer)
    return render(request, DETAIL, context)


def _custom_values(request: HttpRequest, customer: Customer) -> list[tuple[str, Any]]:
    values = customer.custom_fields or {}
    if not values:
        return []
    return [
        (custom_field_label(d), values[d.key])
        for d in selectors.custom_field_definitions(actor=request.user)
        if values.get(d.key) not in (None, "")
    ]


@require_GET
@staff_required
def customer_section(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    """One part of the 360 page, re-rendered after an inline write changed it."""
    build = SECTIONS.get(section)
    extra = panels.panel(section)
    if build is None and extra is None:
        raise Http404
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    context = base_context(request, customer)
    right = FORM_SECTIONS.get(section)
    if right is not None:
        require(bool(context[right]))
    if build is not None:
        return render(request, f"{DETAIL}#{section}", {**context, **build(request, customer)})
    assert extra is not None
    context.update(extra.context(request, customer, context["can_change"]))
    return render(request, extra.refresh_template, context)


@require_GET
@staff_required
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The next page of the timeline, appended by the "load more" button."""
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    context = {
        **base_context(request, customer),
        "timeline": _timeline_page(request.user, customer, page_number(request)),
    }
    return render(request, f"{DETAIL}#timeline-page", context)


# the customer


@require_POST
@staff_required
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a customer — the service refuses one with orders; the reason is shown on the
    360 page. Success goes to the list (``HX-Redirect`` for htmx)."""
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    require(permissions.can_change_customer(request.user, customer))
    form = VersionForm(request.POST)
    if not form.is_valid():
        error, status = _("请求无效，请刷新页面后重试。"), 422
    else:
        try:
            services.customer_delete(
                actor=request.user, customer_id=customer.pk, version=form.cleaned_data["version"]
            )
        except INPUT_ERRORS as exc:
            status = 409 if isinstance(exc, Conflict) else 422
            error = (
                _("这位客户的资料刚被他人修改，请刷新页面查看后再决定是否删除。")
                if is_stale(exc)
                else exc.message
            )
        else:
            messages.success(
                request,
                _("客户“%(name)s”已移入回收站，%(days)s 天内可恢复。")
                % {"name": customer.name, "days": RECYCLE_BIN_DAYS},
            )
            if htmx(request):
                return HttpResponseClientRedirect(reverse("customers:list"))
            return redirect("customers:list")
    if not htmx(request):
        messages.error(request, error)
        return redirect(customer)
    context = {"customer": customer, "error": error}
    return render(request, f"{DETAIL}#customer-alert", context, status=status)
