"""Orders: the list of every order the user may see (filters, paging, export), and on the
customer 360 page the "purchases" panel's order entry, the order page and its cancel
button. Reads through ``orders.selectors``, writes through ``orders.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.forms import VersionForm, add_domain_errors
from guanxi.core.htmx import htmx, htmx_target
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import Customer
from guanxi.orders import selectors, services
from guanxi.orders.forms import OrderForm, OrderLineFormSet
from guanxi.orders.models import OrderStatus
from guanxi.orders.panels import PANEL, active_products

ORDER_DETAIL = "orders/order_detail.html"
ORDER_LIST = "orders/order_list.html"
LIST_PAGE_SIZE = 50
FILTER_LABELS = {
    "customer": _lazy("客户"),
    "date_from": _lazy("开始日期"),
    "date_to": _lazy("结束日期"),
    "status": _lazy("状态"),
    "q": _lazy("订单号"),
}
INPUT_ERRORS = (ValidationFailed, Conflict)
# The parts of the 360 page a new order changes (each reloads on its ``gx:`` event).
ORDER_AFFECTS = ("purchases", "timeline", "history")


def _changed(response: HttpResponse) -> HttpResponse:
    for part in ORDER_AFFECTS:
        trigger_client_event(response, f"gx:{part}")
    return response


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


def _fresh_form(customer: Any, products: Any, **extra: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "order_form": OrderForm(),
        "line_formset": OrderLineFormSet(products=products, prefix="lines"),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@staff_required
def order_add(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the empty order form (the 360 page loads it when "new order" is first opened);
    POST: the order, or the form again with its errors."""
    customer = customer_selectors.customer_get(actor=request.user, customer_id=pk)
    products = active_products(request)
    if request.method == "GET":
        if not permissions.can_change_customer(request.user, customer):
            raise DjangoPermissionDenied
        return render(request, f"{PANEL}#order-form", _fresh_form(customer, products))
    form = OrderForm(request.POST)
    formset = OrderLineFormSet(request.POST, products=products, prefix="lines")
    context: dict[str, Any] = {"customer": customer, "order_form": form, "line_formset": formset}
    if form.is_valid() and formset.is_valid():
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
        except INPUT_ERRORS as exc:
            if isinstance(exc, ValidationFailed):
                _line_errors(exc, lines)
            add_domain_errors(form, exc, _order_field)
        else:
            fresh = _fresh_form(customer, products, saved=True)
            return _changed(render(request, f"{PANEL}#order-form", fresh))
    return render(request, f"{PANEL}#order-form", context, status=422)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except (TypeError, ValueError):
        return 1


@require_GET
@staff_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Every order the user may see, newest first, filtered by customer, dates, status and
    number; with ``HX-Target: order-results`` only the results. ``?customer=`` is how the
    360 page's "show all" link arrives."""
    filter_errors: list[tuple[str, str]] = []
    page = None
    customer = None
    try:
        filters = selectors.validate_order_filters(request.GET.dict())
    except ValidationFailed as exc:
        filter_errors = [
            (str(FILTER_LABELS.get(name, name)), msg)
            for name, msgs in exc.errors.items()
            for msg in msgs
        ]
    else:
        if filters.customer:
            customer = customer_selectors.customer_get(
                actor=request.user, customer_id=filters.customer
            )
        page = selectors.order_list(
            actor=request.user, filters=filters, page=_page_number(request), size=LIST_PAGE_SIZE
        )
    context: dict[str, Any] = {
        "page": page,
        "customer": customer,
        "filter_errors": filter_errors,
        "params": request.GET,
        "export_query": urlencode(filters.as_params()) if page is not None else "",
        "can_export": permissions.can_export(request.user),
        "statuses": OrderStatus.choices,
    }
    partial = htmx_target(request) == "order-results"
    template = ORDER_LIST + ("#results" if partial else "")
    response = render(request, template, context, status=400 if filter_errors else 200)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _page_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return {
        "customer": customer,
        "can_change": permissions.can_change_customer(request.user, customer),
    }


@require_GET
@staff_required
def order_detail(request: HttpRequest, pk: int, order_id: int) -> HttpResponse:
    customer = customer_selectors.customer_get(actor=request.user, customer_id=pk)
    order = selectors.order_get(customer=customer, order_id=order_id)
    return render(request, ORDER_DETAIL, {**_page_context(request, customer), "order": order})


@require_POST
@staff_required
def order_cancel(request: HttpRequest, pk: int, order_id: int) -> HttpResponse:
    """Cancel from the order page; answers the order's status block."""
    customer = customer_selectors.customer_get(actor=request.user, customer_id=pk)
    order = selectors.order_get(customer=customer, order_id=order_id)
    context: dict[str, Any] = _page_context(request, customer)
    if not context["can_change"]:
        raise DjangoPermissionDenied
    form = VersionForm(request.POST)
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
            stale = isinstance(exc, Conflict) and exc.field == "version"
            stale_message = _("该订单刚被他人修改，下面已是最新状态；请确认后再操作。")
            context["error"] = stale_message if stale else exc.message
            order = selectors.order_get(customer=customer, order_id=order.pk)
        else:
            context["saved"] = True
    if not htmx(request):
        if "error" in context:
            messages.error(request, context["error"])
        else:
            messages.success(request, _("订单已取消。"))
        return redirect("orders:detail", customer.pk, order.pk)
    context["order"] = order
    return render(request, f"{ORDER_DETAIL}#order-status", context, status=status)
