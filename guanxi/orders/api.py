"""The products and orders REST API (``/api/v1/``): thin operations over ``orders.selectors``
(reads, scoped by the actor) and ``orders.services`` (writes)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.accounts import permissions
from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    one,
    page_response,
    sent_fields,
)
from guanxi.customers import selectors as customer_selectors
from guanxi.orders import selectors, services
from guanxi.orders.schemas import (
    OrderCancelIn,
    OrderCreateIn,
    OrderDetailOut,
    OrderFiltersIn,
    OrderOut,
    ProductCreateIn,
    ProductOut,
    ProductUpdateIn,
    PurchaseSummaryOut,
)

router = StaffRouter(
    tags=["orders"],
    allow=permissions.is_staff_actor,
    message=gettext_lazy("客户门户用户无权使用员工端 API。"),
)


# --- orders ----------------------------------------------------------------------------


@router.get("/orders", response=PageOut[OrderOut])
def order_list(
    request: HttpRequest, filters: Query[OrderFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """All orders the actor may see, newest first; dates are inclusive."""
    qs = selectors.scoped_orders(actor=actor(request))
    if filters.date_from:
        qs = qs.filter(order_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(order_date__lte=filters.date_to)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    return page_response(qs.order_by("-order_date", "-id"), page)


@router.get("/customers/{customer_id}/orders", response=PageOut[OrderOut])
def customer_order_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    user = actor(request)
    customer = customer_selectors.customer_get(actor=user, customer_id=customer_id)
    qs = selectors.scoped_orders(actor=user).filter(customer_id=customer.pk)
    return page_response(qs.order_by("-order_date", "-id"), page)


@router.post("/customers/{customer_id}/orders", response={201: OrderDetailOut})
def order_create(
    request: HttpRequest, customer_id: RecordId, payload: OrderCreateIn
) -> Status[Any]:
    """The total is the sum of the lines; it is never taken from the request."""
    order = services.order_create(
        actor=actor(request),
        customer_id=customer_id,
        order_date=payload.order_date,
        number=payload.number,
        note=payload.note,
        lines=[line.model_dump(exclude_unset=True) for line in payload.lines],
    )
    return Status(201, order)


@router.get("/orders/{order_id}", response=OrderDetailOut)
def order_detail(request: HttpRequest, order_id: RecordId) -> Any:
    qs = selectors.scoped_orders(actor=actor(request)).prefetch_related("lines")
    return one(qs, order_id, _("记录不存在。"))


@router.post("/orders/{order_id}/cancel", response=OrderOut)
def order_cancel(request: HttpRequest, order_id: RecordId, payload: OrderCancelIn) -> Any:
    return services.order_cancel(actor=actor(request), order_id=order_id, version=payload.version)


# --- products --------------------------------------------------------------------------


@router.get("/products", response=PageOut[ProductOut])
def product_list(
    request: HttpRequest, page: Query[PageIn], active: bool | None = None
) -> dict[str, Any]:
    qs = selectors.products(actor=actor(request))
    if active is not None:
        qs = qs.filter(active=active)
    return page_response(qs.order_by("code"), page)


@router.post("/products", response={201: ProductOut})
def product_create(request: HttpRequest, payload: ProductCreateIn) -> Status[Any]:
    """Admins only."""
    product = services.product_create(actor=actor(request), data=sent_fields(payload))
    return Status(201, product)


@router.get("/products/{product_id}", response=ProductOut)
def product_detail(request: HttpRequest, product_id: RecordId) -> Any:
    return one(selectors.products(actor=actor(request)), product_id, _("产品不存在。"))


@router.patch("/products/{product_id}", response=ProductOut)
def product_update(request: HttpRequest, product_id: RecordId, payload: ProductUpdateIn) -> Any:
    """Admins only."""
    data = sent_fields(payload)
    return services.product_update(
        actor=actor(request), product_id=product_id, version=data.pop("version"), data=data
    )


@router.get("/customers/{customer_id}/summary", response=PurchaseSummaryOut)
def customer_summary(request: HttpRequest, customer_id: RecordId) -> Any:
    """The customer's confirmed orders: count, total, average, first and last purchase."""
    customer = customer_selectors.customer_get(actor=actor(request), customer_id=customer_id)
    return selectors.purchase_summary(customer=customer)
