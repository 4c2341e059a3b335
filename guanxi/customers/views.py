"""The customer web UI: list + search, create/edit, and the customer 360 page with its
inline htmx forms. Views parse input, call one selector or service, and render; every read
goes through ``customers.selectors`` (scoped by the actor) and every write through
``customers.services``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import scope
from guanxi.accounts.decorators import staff_required
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.forms import add_domain_errors
from guanxi.core.templatetags.gx import attach_change_rows
from guanxi.customers import selectors, services
from guanxi.customers.forms import (
    CommunicationEditForm,
    CommunicationForm,
    ContactEditForm,
    ContactForm,
    CustomerForm,
    OrderForm,
    OrderLineFormSet,
    PreferenceEditForm,
    PreferenceForm,
    VersionForm,
    custom_field_label,
)
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomerKind,
    CustomerStatus,
    Preference,
)
from guanxi.customers.timeline import kind_info

DETAIL = "customers/customer_detail.html"
# Errors in what the user typed go back on the form; NotFound/PermissionDenied propagate
# to ``staff_required`` and become 404/403.
INPUT_ERRORS = (ValidationFailed, Conflict)
LIST_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20
PRODUCT_CHOICES_LIMIT = 500
# Which parts of the 360 page an inline write changes: the response's HX-Trigger names
# them and each part reloads itself (see the ``hx-trigger`` of the sections).
AFFECTS = {
    "contact": ("contacts", "communication-form", "timeline", "history"),
    "preference": ("preferences", "timeline", "history"),
    "communication": ("followups", "timeline", "history"),
    "order": ("purchases", "timeline", "history"),
    # Edits and deletes: a contact's or preference's row is swapped in place (so its
    # "saved" mark stays) and writes no timeline entry; a communication's timeline entry is
    # rewritten with it.
    "contact-change": ("communication-form", "history"),
    "preference-change": ("history",),
    # a delete reloads the list too, so an emptied list says so
    "contact-delete": ("contacts", "communication-form", "history"),
    "preference-delete": ("preferences", "history"),
    "communication-change": ("followups", "timeline", "history"),
}


FILTER_LABELS = {
    "q": gettext_lazy("搜索"),
    "status": gettext_lazy("状态"),
    "kind": gettext_lazy("类型"),
    "owner": gettext_lazy("客户经理"),
    "team": gettext_lazy("团队"),
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


def _page_number(request: HttpRequest, name: str = "page") -> int:
    try:
        return max(1, min(int(request.GET.get(name, 1)), 100_000))
    except (TypeError, ValueError):
        return 1


def _htmx_target(request: HttpRequest) -> str | None:
    if request.headers.get("HX-Request") != "true":
        return None
    return request.headers.get("HX-Target")


def _changed(response: HttpResponse, what: str) -> HttpResponse:
    response["HX-Trigger"] = ", ".join(f"gx:{part}" for part in AFFECTS[what])
    return response


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
            actor=request.user, filters=filters, page=_page_number(request), size=LIST_PAGE_SIZE
        )
    context: dict[str, Any] = {
        "page": page,
        "filter_errors": filter_errors,
        "params": request.GET,
        "can_create": scope.can_create_customer(request.user),
    }
    partial = _htmx_target(request) == "customer-results"
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
    owners = selectors.owners(actor=request.user) if scope.can_assign_owner(request.user) else None
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
    context = {
        "form": form,
        "customer": customer,
        "stale": stale,
        "tags": selectors.tags(actor=request.user),
    }
    return render(request, "customers/customer_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def customer_create(request: HttpRequest) -> HttpResponse:
    if not scope.can_create_customer(request.user):
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
    if not scope.can_change_customer(request.user, customer):
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


# --- the 360 page ------------------------------------------------------------------------


def _timeline_page(customer: Customer, page: int) -> selectors.Page:
    result = selectors.timeline_page(customer=customer, page=page, size=TIMELINE_PAGE_SIZE)
    for entry in result.items:
        entry.kind_display = kind_info(entry.kind)
    attach_change_rows(
        result.items, model_attr="subject_model", changes=lambda e: (e.data or {}).get("changes")
    )
    return result


def _history(customer: Customer) -> list[Any]:
    entries = selectors.change_history(customer=customer)
    attach_change_rows(entries, model_attr="model", changes=lambda e: e.changes)
    return entries


def _purchases(customer: Customer) -> dict[str, Any]:
    return {
        "summary": selectors.purchase_summary(customer=customer),
        "orders": selectors.recent_orders(customer=customer),
    }


SECTIONS: dict[str, Callable[[HttpRequest, Customer], dict[str, Any]]] = {
    "preferences": lambda request, c: {"preferences": selectors.preferences_of(customer=c)},
    "contacts": lambda request, c: {"contacts": selectors.contacts_of(customer=c)},
    "followups": lambda request, c: {"follow_ups": selectors.open_follow_ups(customer=c)},
    "purchases": lambda request, c: _purchases(c),
    "timeline": lambda request, c: {"timeline": _timeline_page(c, 1)},
    "history": lambda request, c: {"history": _history(c)},
    "communication-form": lambda request, c: {
        "communication_form": CommunicationForm(contacts=selectors.contacts_of(customer=c))
    },
}


def _base_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return {
        "customer": customer,
        "can_change": scope.can_change_customer(request.user, customer),
        "can_log": scope.can_log_communication(request.user, customer),
        "today": timezone.localdate(),
    }


def _products(request: HttpRequest) -> list[Any]:
    return list(
        selectors.products(actor=request.user)
        .filter(active=True)
        .only("id", "code", "name", "unit_price")[:PRODUCT_CHOICES_LIMIT]
    )


@require_GET
@staff_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    context = _base_context(request, customer)
    context["preferences"] = selectors.preferences_of(customer=customer)
    context["contacts"] = selectors.contacts_of(customer=customer)
    context["follow_ups"] = selectors.open_follow_ups(customer=customer)
    context.update(_purchases(customer))
    context["timeline"] = _timeline_page(customer, 1)
    context["history"] = _history(customer)
    context["custom_fields"] = _custom_values(request, customer)
    if context["can_change"]:
        products = _products(request)
        context.update(
            contact_form=ContactForm(),
            preference_form=PreferenceForm(),
            order_form=OrderForm(),
            line_formset=OrderLineFormSet(products=products, prefix="lines"),
            products=products,
        )
    if context["can_log"]:
        context["communication_form"] = CommunicationForm(contacts=context["contacts"])
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
    if build is None:
        raise Http404
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    context = {**_base_context(request, customer), **build(request, customer)}
    return render(request, f"{DETAIL}#{section}", context)


@require_GET
@staff_required
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The next page of the timeline, appended by the "load more" button."""
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    context = {
        **_base_context(request, customer),
        "timeline": _timeline_page(customer, _page_number(request)),
    }
    return render(request, f"{DETAIL}#timeline-page", context)


# --- inline writes on the 360 page -------------------------------------------------------


def _inline(
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
) -> HttpResponse:
    """Validate ``form`` (and ``formset``), run ``write`` (one service call); on success
    answer a fresh form and name the sections to reload, else the form with its errors."""
    valid = form.is_valid() and (formset is None or formset.is_valid())
    if valid:
        try:
            write()
        except INPUT_ERRORS as exc:
            add_domain_errors(form, exc, field_map)
        else:
            response = render(request, f"{DETAIL}#{partial}", {**context, **fresh(), "saved": True})
            return _changed(response, affects)
    return render(request, f"{DETAIL}#{partial}", context, status=422)


@require_POST
@staff_required
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    form = ContactForm(request.POST)
    return _inline(
        request,
        partial="contact-form",
        context={"customer": customer, "contact_form": form},
        form=form,
        write=lambda: services.contact_create(
            actor=request.user, customer_id=customer.pk, data=form.service_data()
        ),
        fresh=lambda: {"contact_form": ContactForm()},
        affects="contact",
    )


@require_POST
@staff_required
def preference_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    form = PreferenceForm(request.POST)
    return _inline(
        request,
        partial="preference-form",
        context={"customer": customer, "preference_form": form},
        form=form,
        write=lambda: services.preference_create(
            actor=request.user, customer_id=customer.pk, data=form.service_data()
        ),
        fresh=lambda: {"preference_form": PreferenceForm()},
        affects="preference",
    )


@require_POST
@staff_required
def communication_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    contacts = selectors.contacts_of(customer=customer)
    form = CommunicationForm(request.POST, contacts=contacts)
    return _inline(
        request,
        partial="communication-form",
        context={"customer": customer, "communication_form": form},
        form=form,
        write=lambda: services.communication_create(
            actor=request.user, customer_id=customer.pk, data=form.service_data()
        ),
        fresh=lambda: {"communication_form": CommunicationForm(contacts=contacts)},
        affects="communication",
        field_map=CommunicationForm.error_field_map,
    )


@require_POST
@staff_required
def order_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    products = _products(request)
    form = OrderForm(request.POST)
    formset = OrderLineFormSet(request.POST, products=products, prefix="lines")

    def write() -> None:
        lines = formset.filled_forms()
        try:
            services.order_create(
                actor=request.user,
                customer_id=customer.pk,
                order_date=form.cleaned_data["order_date"],
                number=form.cleaned_data["number"],
                note=form.cleaned_data["note"],
                lines=[line.service_line() for line in lines],
            )
        except ValidationFailed as exc:
            _line_errors(exc, lines)
            raise

    return _inline(
        request,
        partial="order-form",
        context={"customer": customer, "order_form": form, "line_formset": formset},
        form=form,
        formset=formset,
        write=write,
        fresh=lambda: {
            "order_form": OrderForm(),
            "line_formset": OrderLineFormSet(products=products, prefix="lines"),
        },
        affects="order",
        field_map=_order_field,
    )


def _order_field(service_field: str) -> str:
    # Line errors ("lines[0].quantity") are shown on the line itself by _line_errors.
    return "" if service_field.startswith("lines[") else service_field


def _line_errors(exc: ValidationFailed, lines: list[Any]) -> None:
    """Put ``lines[i].field`` errors next to the i-th filled line's field."""
    for name, msgs in list(exc.errors.items()):
        if not name.startswith("lines["):
            continue
        index_text, _sep, field = name.removeprefix("lines[").partition("].")
        field = {"product_id": "product"}.get(field, field)
        if (
            index_text.isdigit()
            and int(index_text) < len(lines)
            and field in lines[int(index_text)].fields
        ):
            for msg in msgs:
                lines[int(index_text)].add_error(field, msg)
            del exc.errors[name]


# --- editing, deleting and one-click actions on the 360 page ------------------------------
#
# A record's row swaps in place for its edit form (GET …/edit/) and back (the row URL, or
# the saved row after POST). Every write sends the version the user saw; a stale one is
# refused by the service and answered with 409 and the record as it is now.

COMMUNICATION_PLACES = ("followups", "timeline")


def _require(allowed: bool) -> None:
    if not allowed:
        raise DjangoPermissionDenied


def _is_stale(exc: Exception) -> bool:
    return isinstance(exc, Conflict) and exc.field == "version"


def _edit(
    request: HttpRequest,
    *,
    partial: str,
    context: dict[str, Any],
    form: Any,
    write: Callable[[], Any],
    saved: Callable[[Any], tuple[str, dict[str, Any]]],
    affects: str,
    field_map: Callable[[str], str] | None = None,
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
            if _is_stale(exc):
                status, context["stale"] = 409, True
        else:
            template, fresh = saved(result)
            return _changed(render(request, f"{DETAIL}#{template}", fresh), affects)
    return render(request, f"{DETAIL}#{partial}", context, status=status)


def _one_click(
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
            stale = _is_stale(exc)
            error = (
                _("这条记录刚被他人修改，下面已是最新内容；请确认后再操作。")
                if stale
                else exc.message
            )
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            return _changed(HttpResponse(""), affects)
    return render(request, f"{DETAIL}#{partial}", {**row(), "row_error": error}, status=status)


# contacts


def _contact(request: HttpRequest, pk: int, contact_id: int) -> tuple[Customer, Contact]:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    return customer, selectors.contact_get(customer=customer, contact_id=contact_id)


@require_GET
@staff_required
def contact_row(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    """One contact as listed (the edit form's "cancel")."""
    customer, contact = _contact(request, pk, contact_id)
    context = {**_base_context(request, customer), "contact": contact}
    return render(request, f"{DETAIL}#contact-row", context)


@require_http_methods(["GET", "POST"])
@staff_required
def contact_edit(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    customer, contact = _contact(request, pk, contact_id)
    _require(scope.can_change_customer(request.user, customer))
    form = ContactEditForm(request.POST if request.method == "POST" else None, record=contact)
    base = _base_context(request, customer)
    return _edit(
        request,
        partial="contact-edit",
        context={**base, "contact": contact},
        form=form,
        write=lambda: services.contact_update(
            actor=request.user,
            contact_id=contact.pk,
            data=form.service_data(),
            version=form.version,
        ),
        saved=lambda fresh: ("contact-row", {**base, "contact": fresh, "saved": True}),
        affects="contact-change",
    )


@require_POST
@staff_required
def contact_delete(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    customer, contact = _contact(request, pk, contact_id)
    _require(scope.can_change_customer(request.user, customer))
    return _one_click(
        request,
        partial="contact-row",
        row=lambda: {
            **_base_context(request, customer),
            "contact": selectors.contact_get(customer=customer, contact_id=contact.pk),
        },
        write=lambda version: services.contact_delete(
            actor=request.user, contact_id=contact.pk, version=version
        ),
        affects="contact-delete",
    )


# preferences


def _preference(request: HttpRequest, pk: int, preference_id: int) -> tuple[Customer, Preference]:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    return customer, selectors.preference_get(customer=customer, preference_id=preference_id)


@require_GET
@staff_required
def preference_row(request: HttpRequest, pk: int, preference_id: int) -> HttpResponse:
    customer, pref = _preference(request, pk, preference_id)
    context = {**_base_context(request, customer), "pref": pref}
    return render(request, f"{DETAIL}#preference-row", context)


@require_http_methods(["GET", "POST"])
@staff_required
def preference_edit(request: HttpRequest, pk: int, preference_id: int) -> HttpResponse:
    customer, pref = _preference(request, pk, preference_id)
    _require(scope.can_change_customer(request.user, customer))
    form = PreferenceEditForm(request.POST if request.method == "POST" else None, record=pref)
    base = _base_context(request, customer)
    return _edit(
        request,
        partial="preference-edit",
        context={**base, "pref": pref},
        form=form,
        write=lambda: services.preference_update(
            actor=request.user,
            preference_id=pref.pk,
            data=form.service_data(),
            version=form.version,
        ),
        saved=lambda fresh: ("preference-row", {**base, "pref": fresh, "saved": True}),
        affects="preference-change",
    )


@require_POST
@staff_required
def preference_delete(request: HttpRequest, pk: int, preference_id: int) -> HttpResponse:
    customer, pref = _preference(request, pk, preference_id)
    _require(scope.can_change_customer(request.user, customer))
    return _one_click(
        request,
        partial="preference-row",
        row=lambda: {
            **_base_context(request, customer),
            "pref": selectors.preference_get(customer=customer, preference_id=pref.pk),
        },
        write=lambda version: services.preference_delete(
            actor=request.user, preference_id=pref.pk, version=version
        ),
        affects="preference-delete",
    )


# communications


def _communication(
    request: HttpRequest, pk: int, communication_id: int
) -> tuple[Customer, Communication]:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    comm = selectors.communication_get(customer=customer, communication_id=communication_id)
    return customer, comm


@require_http_methods(["GET", "POST"])
@staff_required
def communication_edit(request: HttpRequest, pk: int, communication_id: int) -> HttpResponse:
    """Edit a communication where it is shown (an open follow-up or its timeline entry);
    ``?in=`` names that place so "cancel" reloads it."""
    customer, comm = _communication(request, pk, communication_id)
    _require(scope.can_log_communication(request.user, customer))
    place = request.GET.get("in")
    place = place if place in COMMUNICATION_PLACES else COMMUNICATION_PLACES[0]
    form = CommunicationEditForm(
        request.POST if request.method == "POST" else None,
        record=comm,
        contacts=selectors.contacts_of(customer=customer),
    )
    base = {**_base_context(request, customer), "comm": comm, "place": place}
    return _edit(
        request,
        partial="communication-edit",
        context=base,
        form=form,
        write=lambda: services.communication_update(
            actor=request.user,
            communication_id=comm.pk,
            data=form.service_data(),
            version=form.version,
        ),
        saved=lambda fresh: ("communication-saved", {**base, "comm": fresh}),
        affects="communication-change",
        field_map=CommunicationForm.error_field_map,
    )


@require_POST
@staff_required
def follow_up_done(request: HttpRequest, pk: int, communication_id: int) -> HttpResponse:
    """The one-click "done" on an open follow-up."""
    customer, comm = _communication(request, pk, communication_id)
    _require(scope.can_log_communication(request.user, customer))
    return _one_click(
        request,
        partial="followup-row",
        row=lambda: {
            **_base_context(request, customer),
            "comm": selectors.communication_get(customer=customer, communication_id=comm.pk),
        },
        write=lambda version: services.communication_update(
            actor=request.user,
            communication_id=comm.pk,
            data={"follow_up_done": True},
            version=version,
        ),
        affects="communication-change",
    )


# orders

ORDER_DETAIL = "customers/order_detail.html"


@require_GET
@staff_required
def order_detail(request: HttpRequest, pk: int, order_id: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    order = selectors.order_get(customer=customer, order_id=order_id)
    return render(request, ORDER_DETAIL, {**_base_context(request, customer), "order": order})


@require_POST
@staff_required
def order_cancel(request: HttpRequest, pk: int, order_id: int) -> HttpResponse:
    """Cancel from the order page; answers the order's status block."""
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    order = selectors.order_get(customer=customer, order_id=order_id)
    _require(scope.can_change_customer(request.user, customer))
    form = VersionForm(request.POST)
    context: dict[str, Any] = _base_context(request, customer)
    status = 200
    if not form.is_valid():
        context["error"], status = _("请求无效，请刷新页面后重试。"), 422
    else:
        try:
            order = services.order_cancel(
                actor=request.user, order_id=order.pk, version=form.cleaned_data["version"]
            )
        except INPUT_ERRORS as exc:
            status = 409 if isinstance(exc, Conflict) else 422
            context["error"] = (
                _("该订单刚被他人修改，下面已是最新状态；请确认后再操作。")
                if _is_stale(exc)
                else exc.message
            )
            order = selectors.order_get(customer=customer, order_id=order.pk)
        else:
            context["saved"] = True
    if not request.headers.get("HX-Request"):
        if "error" in context:
            messages.error(request, context["error"])
        else:
            messages.success(request, _("订单已取消。"))
        return redirect("customers:order_detail", customer.pk, order.pk)
    context["order"] = order
    return render(request, f"{ORDER_DETAIL}#order-status", context, status=status)


# the customer


@require_POST
@staff_required
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a customer — the service refuses one with orders; the reason is shown on the
    360 page. Success goes to the list (``HX-Redirect`` for htmx)."""
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    _require(scope.can_change_customer(request.user, customer))
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
                if _is_stale(exc)
                else exc.message
            )
        else:
            messages.success(request, _("客户“%(name)s”已删除。") % {"name": customer.name})
            if request.headers.get("HX-Request"):
                response = HttpResponse("")
                response["HX-Redirect"] = reverse("customers:list")
                return response
            return redirect("customers:list")
    if not request.headers.get("HX-Request"):
        messages.error(request, error)
        return redirect(customer)
    context = {"customer": customer, "error": error}
    return render(request, f"{DETAIL}#customer-alert", context, status=status)
