"""The customers REST API (``/api/v1/``): customers and what hangs off them — contacts,
preferences, communications, orders, timeline, history, purchase summary — plus the
product catalogue, tags and custom field definitions.

Each operation parses its input, calls one selector (reads, scoped by the actor) or one
service (writes: validate, audit, timeline) and returns. A record the actor may not see
answers 404, the same as one that does not exist. Portal users get 403 on every operation
here (``_staff_only``): the staff API is not theirs, whatever they ask for.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status

from guanxi.accounts import scope
from guanxi.accounts.models import User
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.customers import selectors, services
from guanxi.customers.schemas import (
    MAX_ID,
    AuditEntryOut,
    CommunicationCreateIn,
    CommunicationOut,
    CommunicationUpdateIn,
    ContactCreateIn,
    ContactOut,
    ContactUpdateIn,
    CustomerCreateIn,
    CustomerFiltersIn,
    CustomerListOut,
    CustomerOut,
    CustomerUpdateIn,
    CustomFieldIn,
    CustomFieldOut,
    DeleteIn,
    OrderCancelIn,
    OrderCreateIn,
    OrderDetailOut,
    OrderFiltersIn,
    OrderOut,
    PageIn,
    PageOut,
    PreferenceCreateIn,
    PreferenceOut,
    PreferenceUpdateIn,
    ProductCreateIn,
    ProductOut,
    ProductUpdateIn,
    PurchaseSummaryOut,
    TagIn,
    TagOut,
    TimelineEntryOut,
)

M = TypeVar("M", bound=Model)
F = TypeVar("F", bound=Callable[..., Any])

router = Router(tags=["customers"])


def _staff_only(view: F) -> F:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not scope.is_staff_actor(request.user):
            raise PermissionDenied(_("客户门户用户无权使用员工端 API。"))
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


router.add_decorator(_staff_only)

RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _page(qs: QuerySet[Any], page: PageIn) -> dict[str, Any]:
    return _page_out(selectors.paginate(qs, size=page.limit, offset=page.offset), page)


def _page_out(result: selectors.Page, page: PageIn) -> dict[str, Any]:
    return {
        "count": result.count,
        "count_capped": result.count_capped,
        "limit": page.limit,
        "offset": page.offset,
        "items": result.items,
    }


def _one(qs: QuerySet[M], pk: int, message: str) -> M:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(message)
    return obj


def _changes(payload: Schema) -> dict[str, Any]:
    """The fields the client sent (a PATCH changes only those)."""
    return payload.model_dump(exclude_unset=True)


# --- customers -------------------------------------------------------------------------


@router.get("/customers", response=PageOut[CustomerListOut])
def customer_list(
    request: HttpRequest, filters: Query[CustomerFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    result = selectors.customer_list(
        actor=_actor(request),
        filters=selectors.validate_filters(filters.model_dump()),
        size=page.limit,
        offset=page.offset,
    )
    return _page_out(result, page)


@router.post("/customers", response={201: CustomerOut})
def customer_create(request: HttpRequest, payload: CustomerCreateIn) -> Status[Any]:
    data = _changes(payload)
    owner_id, tags = data.pop("owner_id", None), data.pop("tags", None)
    customer = services.customer_create(
        actor=_actor(request), data=data, owner_id=owner_id, tags=tags
    )
    return Status(201, customer)


@router.get("/customers/{customer_id}", response=CustomerOut)
def customer_detail(request: HttpRequest, customer_id: RecordId) -> Any:
    return selectors.customer_get(actor=_actor(request), customer_id=customer_id)


@router.patch("/customers/{customer_id}", response=CustomerOut)
def customer_update(request: HttpRequest, customer_id: RecordId, payload: CustomerUpdateIn) -> Any:
    data = _changes(payload)
    version = data.pop("version")
    owner_id, tags = data.pop("owner_id", None), data.pop("tags", None)
    return services.customer_update(
        actor=_actor(request),
        customer_id=customer_id,
        data=data,
        version=version,
        owner_id=owner_id,
        tags=tags,
    )


@router.delete("/customers/{customer_id}", response={204: None})
def customer_delete(
    request: HttpRequest, customer_id: RecordId, params: Query[DeleteIn]
) -> Status[None]:
    services.customer_delete(actor=_actor(request), customer_id=customer_id, version=params.version)
    return Status(204, None)


@router.get("/customers/{customer_id}/summary", response=PurchaseSummaryOut)
def customer_summary(request: HttpRequest, customer_id: RecordId) -> Any:
    customer = selectors.customer_get(actor=_actor(request), customer_id=customer_id)
    return selectors.purchase_summary(customer=customer)


@router.get("/customers/{customer_id}/timeline", response=PageOut[TimelineEntryOut])
def customer_timeline(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    """Newest first."""
    customer = selectors.customer_get(actor=_actor(request), customer_id=customer_id)
    result = selectors.timeline_page(customer=customer, size=page.limit, offset=page.offset)
    return _page_out(result, page)


@router.get("/customers/{customer_id}/history", response=PageOut[AuditEntryOut])
def customer_history(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    """Every audited change of the customer and its contacts, orders, …, newest first."""
    customer = selectors.customer_get(actor=_actor(request), customer_id=customer_id)
    result = selectors.change_history_page(customer=customer, size=page.limit, offset=page.offset)
    return _page_out(result, page)


# --- contacts --------------------------------------------------------------------------


@router.get("/customers/{customer_id}/contacts", response=PageOut[ContactOut])
def contact_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    actor = _actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    qs = selectors.scoped_contacts(actor=actor).filter(customer_id=customer.pk)
    return _page(qs.order_by("-is_primary", "name", "id"), page)


@router.post("/customers/{customer_id}/contacts", response={201: ContactOut})
def contact_create(
    request: HttpRequest, customer_id: RecordId, payload: ContactCreateIn
) -> Status[Any]:
    contact = services.contact_create(
        actor=_actor(request), customer_id=customer_id, data=_changes(payload)
    )
    return Status(201, contact)


@router.get("/contacts/{contact_id}", response=ContactOut)
def contact_detail(request: HttpRequest, contact_id: RecordId) -> Any:
    return _one(selectors.scoped_contacts(actor=_actor(request)), contact_id, _("记录不存在。"))


@router.patch("/contacts/{contact_id}", response=ContactOut)
def contact_update(request: HttpRequest, contact_id: RecordId, payload: ContactUpdateIn) -> Any:
    data = _changes(payload)
    return services.contact_update(
        actor=_actor(request), contact_id=contact_id, version=data.pop("version"), data=data
    )


@router.delete("/contacts/{contact_id}", response={204: None})
def contact_delete(request: HttpRequest, contact_id: RecordId) -> Status[None]:
    services.contact_delete(actor=_actor(request), contact_id=contact_id)
    return Status(204, None)


# --- preferences -----------------------------------------------------------------------


@router.get("/customers/{customer_id}/preferences", response=PageOut[PreferenceOut])
def preference_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    actor = _actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    qs = selectors.scoped_preferences(actor=actor).filter(customer_id=customer.pk)
    return _page(qs.order_by("category", "key", "id"), page)


@router.post("/customers/{customer_id}/preferences", response={201: PreferenceOut})
def preference_create(
    request: HttpRequest, customer_id: RecordId, payload: PreferenceCreateIn
) -> Status[Any]:
    preference = services.preference_create(
        actor=_actor(request), customer_id=customer_id, data=_changes(payload)
    )
    return Status(201, preference)


@router.get("/preferences/{preference_id}", response=PreferenceOut)
def preference_detail(request: HttpRequest, preference_id: RecordId) -> Any:
    qs = selectors.scoped_preferences(actor=_actor(request))
    return _one(qs, preference_id, _("记录不存在。"))


@router.patch("/preferences/{preference_id}", response=PreferenceOut)
def preference_update(
    request: HttpRequest, preference_id: RecordId, payload: PreferenceUpdateIn
) -> Any:
    data = _changes(payload)
    return services.preference_update(
        actor=_actor(request), preference_id=preference_id, version=data.pop("version"), data=data
    )


@router.delete("/preferences/{preference_id}", response={204: None})
def preference_delete(request: HttpRequest, preference_id: RecordId) -> Status[None]:
    services.preference_delete(actor=_actor(request), preference_id=preference_id)
    return Status(204, None)


# --- communications --------------------------------------------------------------------


@router.get("/customers/{customer_id}/communications", response=PageOut[CommunicationOut])
def communication_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    """Newest first."""
    actor = _actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    qs = selectors.scoped_communications(actor=actor).filter(customer_id=customer.pk)
    return _page(qs.order_by("-occurred_at", "-id"), page)


@router.post("/customers/{customer_id}/communications", response={201: CommunicationOut})
def communication_create(
    request: HttpRequest, customer_id: RecordId, payload: CommunicationCreateIn
) -> Status[Any]:
    communication = services.communication_create(
        actor=_actor(request), customer_id=customer_id, data=_changes(payload)
    )
    return Status(201, communication)


@router.get("/communications/{communication_id}", response=CommunicationOut)
def communication_detail(request: HttpRequest, communication_id: RecordId) -> Any:
    qs = selectors.scoped_communications(actor=_actor(request))
    return _one(qs, communication_id, _("记录不存在。"))


@router.patch("/communications/{communication_id}", response=CommunicationOut)
def communication_update(
    request: HttpRequest, communication_id: RecordId, payload: CommunicationUpdateIn
) -> Any:
    data = _changes(payload)
    return services.communication_update(
        actor=_actor(request),
        communication_id=communication_id,
        version=data.pop("version"),
        data=data,
    )


# --- orders ----------------------------------------------------------------------------


@router.get("/orders", response=PageOut[OrderOut])
def order_list(
    request: HttpRequest, filters: Query[OrderFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """All orders the actor may see, newest first; dates are inclusive."""
    qs = selectors.scoped_orders(actor=_actor(request))
    if filters.date_from:
        qs = qs.filter(order_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(order_date__lte=filters.date_to)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    return _page(qs.order_by("-order_date", "-id"), page)


@router.get("/customers/{customer_id}/orders", response=PageOut[OrderOut])
def customer_order_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    actor = _actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    qs = selectors.scoped_orders(actor=actor).filter(customer_id=customer.pk)
    return _page(qs.order_by("-order_date", "-id"), page)


@router.post("/customers/{customer_id}/orders", response={201: OrderDetailOut})
def order_create(
    request: HttpRequest, customer_id: RecordId, payload: OrderCreateIn
) -> Status[Any]:
    """The total is the sum of the lines; it is never taken from the request."""
    order = services.order_create(
        actor=_actor(request),
        customer_id=customer_id,
        order_date=payload.order_date,
        number=payload.number,
        note=payload.note,
        lines=[line.model_dump(exclude_unset=True) for line in payload.lines],
    )
    return Status(201, order)


@router.get("/orders/{order_id}", response=OrderDetailOut)
def order_detail(request: HttpRequest, order_id: RecordId) -> Any:
    qs = selectors.scoped_orders(actor=_actor(request)).prefetch_related("lines")
    return _one(qs, order_id, _("记录不存在。"))


@router.post("/orders/{order_id}/cancel", response=OrderOut)
def order_cancel(request: HttpRequest, order_id: RecordId, payload: OrderCancelIn) -> Any:
    return services.order_cancel(actor=_actor(request), order_id=order_id, version=payload.version)


# --- products --------------------------------------------------------------------------


@router.get("/products", response=PageOut[ProductOut])
def product_list(
    request: HttpRequest, page: Query[PageIn], active: bool | None = None
) -> dict[str, Any]:
    qs = selectors.products(actor=_actor(request))
    if active is not None:
        qs = qs.filter(active=active)
    return _page(qs.order_by("code"), page)


@router.post("/products", response={201: ProductOut})
def product_create(request: HttpRequest, payload: ProductCreateIn) -> Status[Any]:
    """Admins only."""
    product = services.product_create(actor=_actor(request), data=_changes(payload))
    return Status(201, product)


@router.get("/products/{product_id}", response=ProductOut)
def product_detail(request: HttpRequest, product_id: RecordId) -> Any:
    return _one(selectors.products(actor=_actor(request)), product_id, _("产品不存在。"))


@router.patch("/products/{product_id}", response=ProductOut)
def product_update(request: HttpRequest, product_id: RecordId, payload: ProductUpdateIn) -> Any:
    """Admins only."""
    data = _changes(payload)
    return services.product_update(
        actor=_actor(request), product_id=product_id, version=data.pop("version"), data=data
    )


# --- tags & custom fields ----------------------------------------------------------------


@router.get("/tags", response=PageOut[TagOut])
def tag_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    return _page(selectors.tags(actor=_actor(request)).order_by("name"), page)


@router.post("/tags", response={201: TagOut})
def tag_create(request: HttpRequest, payload: TagIn) -> Status[Any]:
    tag = services.tag_create(actor=_actor(request), name=payload.name, color=payload.color)
    return Status(201, tag)


@router.get("/custom-fields", response=PageOut[CustomFieldOut])
def custom_field_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    return _page(selectors.custom_field_definitions(actor=_actor(request)), page)


@router.post("/custom-fields", response={201: CustomFieldOut})
def custom_field_create(request: HttpRequest, payload: CustomFieldIn) -> Status[Any]:
    """Admins only."""
    definition = services.custom_field_create(actor=_actor(request), data=_changes(payload))
    return Status(201, definition)
