"""Row locks for every write on a customer or one of its records (Saleor's one
``locks`` module per app): the scope check and the lock in one place."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.customers.models import Customer

M = TypeVar("M", bound=models.Model)


def customer_lock(actor: Any, customer_id: int, *, for_communication: bool = False) -> Customer:
    """Fetch a customer the actor may see, locked for update; 404 if not visible,
    403 if visible but not changeable. For every app's writes on a customer's records."""
    qs = permissions.scope_customers(actor, Customer.objects.select_for_update(), one=True)
    try:
        customer = qs.get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("客户不存在。"), field="customer_id") from None
    allowed = (
        permissions.can_log_communication(actor, customer)
        if for_communication
        else permissions.can_change_customer(actor, customer)
    )
    if not allowed:
        raise PermissionDenied(_("你没有修改该客户的权限。"))
    return customer


def customer_record_lock(actor: Any, model: type[M], pk: int, **kw: Any) -> tuple[M, Customer]:
    """A record of a customer (any model with a ``customer`` foreign key) and its customer,
    both locked: 404 for a missing record and for one of a customer out of scope alike."""
    row = model._default_manager.filter(pk=pk).values_list("customer_id", flat=True).first()
    if row is None:
        raise NotFound(_("记录不存在。"))
    try:
        customer = customer_lock(actor, row, **kw)
    except NotFound:
        # The same answer as for a missing row: a hidden record's id must not be probeable.
        raise NotFound(_("记录不存在。")) from None
    obj = model._default_manager.select_for_update().get(pk=pk)
    return obj, customer
