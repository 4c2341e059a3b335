"""Communications (沟通记录): the list of every communication the user may see (filters,
paging, export), and a customer's communications and follow-ups on its 360 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.errors import ValidationFailed
from guanxi.customers import selectors, services
from guanxi.customers.forms import CommunicationEditForm, CommunicationForm
from guanxi.customers.models import Channel, Communication, Customer
from guanxi.customers.views.base import (
    base_context,
    edit_record,
    filter_errors_of,
    inline_write,
    list_response,
    one_click,
    page_number,
    require,
)

COMMUNICATION_PLACES = ("followups", "timeline")
COMMUNICATION_LIST = "customers/communication_list.html"
LIST_PAGE_SIZE = 50
FILTER_LABELS = {
    "q": gettext_lazy("搜索"),
    "owner": gettext_lazy("客户经理"),
    "customer": gettext_lazy("客户"),
    "kind": gettext_lazy("渠道"),
    "date_from": gettext_lazy("开始日期"),
    "date_to": gettext_lazy("结束日期"),
    "sort": gettext_lazy("排序"),
}
SORT_OPTIONS = [
    ("-occurred", gettext_lazy("时间（新→旧）")),
    ("occurred", gettext_lazy("时间（旧→新）")),
    ("customer", gettext_lazy("客户名称")),
    ("follow_up", gettext_lazy("下次跟进日期")),
]


@require_GET
@staff_required
def communication_list(request: HttpRequest) -> HttpResponse:
    """Every communication the user may see, filtered by a search (summary, customer,
    contact), the customer's account manager, the channel and a date range; sortable,
    paged, exportable with the same filters. With ``HX-Target: communication-results``
    only the results."""
    page = filters = None
    errors: list[tuple[str, str]] = []
    try:
        filters = selectors.validate_communication_filters(request.GET.dict())
    except ValidationFailed as exc:
        errors = filter_errors_of(exc, FILTER_LABELS)
    else:
        page = selectors.communication_list(
            actor=request.user, filters=filters, page=page_number(request), size=LIST_PAGE_SIZE
        )
    return list_response(
        request,
        template=COMMUNICATION_LIST,
        target="communication-results",
        page=page,
        filters=filters,
        errors=errors,
        context={
            "kinds": Channel.choices,
            "sort_options": SORT_OPTIONS,
            "default_sort": "-occurred",
        },
    )


@require_POST
@staff_required
def communication_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=pk)
    contacts = selectors.contacts_of(customer=customer)
    form = CommunicationForm(request.POST, contacts=contacts)
    return inline_write(
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


# a customer's communications on its 360 page


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
    require(permissions.can_log_communication(request.user, customer))
    place = request.GET.get("in")
    place = place if place in COMMUNICATION_PLACES else COMMUNICATION_PLACES[0]
    form = CommunicationEditForm(
        request.POST if request.method == "POST" else None,
        record=comm,
        contacts=selectors.contacts_of(customer=customer),
    )
    base = {**base_context(request, customer), "comm": comm, "place": place}
    return edit_record(
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
    require(permissions.can_log_communication(request.user, customer))
    return one_click(
        request,
        partial="followup-row",
        row=lambda: {
            **base_context(request, customer),
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
