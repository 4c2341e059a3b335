"""Sharing a customer with named users (团队成员) from its 360 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.customers import selectors, services
from guanxi.customers.forms import CollaboratorForm
from guanxi.customers.models import Customer
from guanxi.customers.views.base import DETAIL, changed, inline_write, require

# collaborators (团队成员)


def _collaborator_form(
    request: HttpRequest, customer: Customer, *, bound: bool = True
) -> CollaboratorForm:
    return CollaboratorForm(
        request.POST if bound and request.method == "POST" else None,
        users=selectors.collaborator_candidates(actor=request.user, customer=customer),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def collaborator_add(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form to share the customer with a user (opened from the panel, so the
    360 page does not list every user). POST: share it."""
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    require(permissions.can_change_customer(request.user, customer))
    form = _collaborator_form(request, customer)
    context = {"customer": customer, "collaborator_form": form}
    if request.method == "GET":
        return render(request, f"{DETAIL}#collaborator-form", context)
    return inline_write(
        request,
        partial="collaborator-form",
        context=context,
        form=form,
        write=lambda: services.customer_collaborator_add(
            actor=request.user, customer_id=customer.pk, **form.service_data()
        ),
        fresh=lambda: {"collaborator_form": _collaborator_form(request, customer, bound=False)},
        affects="collaborator",
        field_map=CollaboratorForm.error_field_map,
    )


@require_POST
@staff_required
def collaborator_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """Stop sharing the customer with a user; answers an empty row."""
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    require(permissions.can_change_customer(request.user, customer))
    services.customer_collaborator_remove(
        actor=request.user, customer_id=customer.pk, user_id=user_id
    )
    return changed(HttpResponse(""), "collaborator")
