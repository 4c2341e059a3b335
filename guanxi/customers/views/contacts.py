"""Contacts: the list of every contact the user may see (filters, paging, export), the
entry check (查重) while a contact is typed, and a customer's contacts on its 360 page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.errors import ValidationFailed
from guanxi.core.limits import parse_id
from guanxi.customers import selectors, services
from guanxi.customers.forms import ContactEditForm, ContactForm
from guanxi.customers.models import Contact, Customer, CustomerKind
from guanxi.customers.views.base import (
    DETAIL,
    base_context,
    edit_record,
    filter_errors_of,
    inline_write,
    list_response,
    one_click,
    page_number,
    require,
)

CONTACT_LIST = "customers/contact_list.html"
LIST_PAGE_SIZE = 50
FILTER_LABELS = {
    "q": gettext_lazy("搜索"),
    "owner": gettext_lazy("客户经理"),
    "customer": gettext_lazy("客户"),
    "kind": gettext_lazy("客户类型"),
    "sort": gettext_lazy("排序"),
}
SORT_OPTIONS = [
    ("customer", gettext_lazy("客户名称")),
    ("name", gettext_lazy("姓名")),
    ("-created", gettext_lazy("最新创建")),
    ("created", gettext_lazy("最早创建")),
]
# The prefix of a contact form on the 360 page: the add form's, or an edit form's (with
# the contact's id); the entry check renders its reason field under the same prefix.
FORM_PREFIX = re.compile(r"^contact(-[0-9]{1,19})?$")


@require_GET
@staff_required
def contact_list(request: HttpRequest) -> HttpResponse:
    """Every contact the user may see, filtered by a search (name, customer, number,
    e-mail), the customer's account manager and kind; sortable, paged, exportable with the
    same filters. With ``HX-Target: contact-results`` only the results."""
    page = filters = None
    errors: list[tuple[str, str]] = []
    try:
        filters = selectors.validate_contact_filters(request.GET.dict())
    except ValidationFailed as exc:
        errors = filter_errors_of(exc, FILTER_LABELS)
    else:
        page = selectors.contact_list(
            actor=request.user, filters=filters, page=page_number(request), size=LIST_PAGE_SIZE
        )
    context = {
        "kinds": CustomerKind.choices,
        "sort_options": SORT_OPTIONS,
        "default_sort": "customer",
    }
    return list_response(
        request,
        template=CONTACT_LIST,
        target="contact-results",
        page=page,
        filters=filters,
        errors=errors,
        context=context,
    )


def _phones_of(data: dict[str, Any]) -> tuple[str, str]:
    return (str(data.get("mobile") or ""), str(data.get("phone") or ""))


def _matches(
    request: HttpRequest, data: dict[str, Any], customer_id: int | None, exclude: int | None
) -> list[Any]:
    return selectors.likely_duplicate_contacts(
        actor=request.user,
        customer_id=customer_id,
        name=str(data.get("name") or "")[:100],
        phones=_phones_of(data),
        email=str(data.get("email") or "")[:254],
        exclude_id=exclude,
    )


def _failed(
    request: HttpRequest, form: ContactForm, customer: Customer, exclude: int | None
) -> Callable[[], dict[str, Any]]:
    """What a refused contact form shows besides its errors: the likely duplicates when
    the service asked for a reason."""

    def context() -> dict[str, Any]:
        if "duplicate_reason" not in form.errors:
            return {}
        data = getattr(form, "cleaned_data", {}) or {}
        return {"matches": _matches(request, data, customer.pk, exclude)}

    return context


@require_GET
@staff_required
def contact_duplicate_check(request: HttpRequest) -> HttpResponse:
    """The entry check (查重) while the user types a contact's name, numbers or e-mail
    (htmx, debounced): likely duplicate contacts the user may see, with links to their
    customers, and the field for the reason to save anyway; empty when there are none."""
    prefix = request.GET.get("prefix", "contact")
    if not FORM_PREFIX.match(prefix):
        prefix = "contact"
    ids: dict[str, int | None] = {}
    for name in ("customer", "exclude"):
        try:
            ids[name] = parse_id(request.GET[name]) if request.GET.get(name) else None
        except ValueError:
            ids[name] = None
    data = {f: request.GET.get(f"{prefix}-{f}", "") for f in ContactForm.CHECKED_FIELDS}
    matches = _matches(request, data, ids["customer"], ids["exclude"])
    html = render_to_string(
        "customers/contact_duplicate_check.html",
        {"matches": matches, "form": ContactForm(prefix=prefix)},
        request=request,
    )
    response = HttpResponse(html.strip())  # empty when no match: the box collapses
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@staff_required
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    form = ContactForm(request.POST)
    return inline_write(
        request,
        partial="contact-form",
        context={"customer": customer, "contact_form": form},
        form=form,
        write=lambda: services.contact_create(
            actor=request.user,
            customer_id=customer.pk,
            data=form.service_data(),
            duplicate_reason=form.duplicate_reason_value(),
        ),
        fresh=lambda: {"contact_form": ContactForm()},
        affects="contact",
        failed=_failed(request, form, customer, None),
    )


# a customer's contacts on its 360 page


def _contact(request: HttpRequest, pk: int, contact_id: int) -> tuple[Customer, Contact]:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    return customer, selectors.contact_get(customer=customer, contact_id=contact_id)


@require_GET
@staff_required
def contact_row(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    """One contact as listed (the edit form's "cancel")."""
    customer, contact = _contact(request, pk, contact_id)
    context = {**base_context(request, customer), "contact": contact}
    return render(request, f"{DETAIL}#contact-row", context)


@require_http_methods(["GET", "POST"])
@staff_required
def contact_edit(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    customer, contact = _contact(request, pk, contact_id)
    require(permissions.can_change_customer(request.user, customer))
    form = ContactEditForm(request.POST if request.method == "POST" else None, record=contact)
    base = base_context(request, customer)
    return edit_record(
        request,
        partial="contact-edit",
        context={**base, "contact": contact},
        form=form,
        write=lambda: services.contact_update(
            actor=request.user,
            contact_id=contact.pk,
            data=form.service_data(),
            version=form.version,
            duplicate_reason=form.duplicate_reason_value(),
        ),
        saved=lambda fresh: ("contact-row", {**base, "contact": fresh, "saved": True}),
        affects="contact-change",
        failed=_failed(request, form, customer, contact.pk),
    )


@require_POST
@staff_required
def contact_delete(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    customer, contact = _contact(request, pk, contact_id)
    require(permissions.can_change_customer(request.user, customer))
    return one_click(
        request,
        partial="contact-row",
        row=lambda: {
            **base_context(request, customer),
            "contact": selectors.contact_get(customer=customer, contact_id=contact.pk),
        },
        write=lambda version: services.contact_delete(
            actor=request.user, contact_id=contact.pk, version=version
        ),
        affects="contact-delete",
    )
