"""A customer's preferences on its 360 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.customers import selectors, services
from guanxi.customers.forms import PreferenceEditForm, PreferenceForm
from guanxi.customers.models import Customer, Preference
from guanxi.customers.views.base import (
    DETAIL,
    base_context,
    edit_record,
    inline_write,
    one_click,
    require,
)


@require_POST
@staff_required
def preference_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    form = PreferenceForm(request.POST)
    return inline_write(
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


# preferences


def _preference(request: HttpRequest, pk: int, preference_id: int) -> tuple[Customer, Preference]:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    return customer, selectors.preference_get(customer=customer, preference_id=preference_id)


@require_GET
@staff_required
def preference_row(request: HttpRequest, pk: int, preference_id: int) -> HttpResponse:
    customer, pref = _preference(request, pk, preference_id)
    context = {**base_context(request, customer), "pref": pref}
    return render(request, f"{DETAIL}#preference-row", context)


@require_http_methods(["GET", "POST"])
@staff_required
def preference_edit(request: HttpRequest, pk: int, preference_id: int) -> HttpResponse:
    customer, pref = _preference(request, pk, preference_id)
    require(permissions.can_change_customer(request.user, customer))
    form = PreferenceEditForm(request.POST if request.method == "POST" else None, record=pref)
    base = base_context(request, customer)
    return edit_record(
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
    require(permissions.can_change_customer(request.user, customer))
    return one_click(
        request,
        partial="preference-row",
        row=lambda: {
            **base_context(request, customer),
            "pref": selectors.preference_get(customer=customer, preference_id=pref.pk),
        },
        write=lambda version: services.preference_delete(
            actor=request.user, preference_id=pref.pk, version=version
        ),
        affects="preference-delete",
    )
