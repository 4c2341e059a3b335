"""The recycle bin page (回收站): the deleted customers the user may see, with restore (for
whoever may change them) and, for administrators, removal for good."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.db.paging import paginate
from guanxi.core.errors import Conflict
from guanxi.core.forms import VersionForm
from guanxi.customers import selectors
from guanxi.customers.bin import services
from guanxi.customers.models import RECYCLE_BIN_DAYS

PAGE_SIZE = 25


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except (TypeError, ValueError):
        return 1


@require_GET
@staff_required
def recycle_bin(request: HttpRequest) -> HttpResponse:
    page = paginate(
        selectors.recycle_bin(actor=request.user), page=_page_number(request), size=PAGE_SIZE
    )
    for customer in page.items:
        customer.can_restore = permissions.can_change_customer(request.user, customer)
        customer.purge_on = selectors.purge_date(customer)
    context = {
        "page": page,
        "days": RECYCLE_BIN_DAYS,
        "can_purge": permissions.can_manage_settings(request.user),
    }
    return render(request, "customers/bin/list.html", context)


def _version(request: HttpRequest) -> int | None:
    form = VersionForm(request.POST)
    return int(form.cleaned_data["version"]) if form.is_valid() else None


@require_POST
@staff_required
def customer_restore(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request)
    if version is None:
        messages.error(request, _("请求无效，请刷新页面后重试。"))
        return redirect("customers:bin")
    try:
        customer = services.customer_restore(actor=request.user, customer_id=pk, version=version)
    except Conflict:
        messages.error(request, _("这位客户刚被他人改动，请查看最新状态后再操作。"))
        return redirect("customers:bin")
    messages.success(
        request,
        _("客户“%(name)s”（编号 %(id)s）已恢复。") % {"name": customer.name, "id": customer.pk},
    )
    return redirect(customer)


@require_POST
@staff_required
def customer_purge(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_manage_settings(request.user):
        raise DjangoPermissionDenied
    services.customer_purge(actor=request.user, customer_id=pk)
    messages.success(request, _("客户（编号 %(id)s）已彻底删除。") % {"id": pk})
    return redirect("customers:bin")
