"""The recycle bin (回收站) of deleted customers: restore, purge by an administrator and
the scheduled purge rule. ``customers.services.customer_delete`` puts customers in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.core.models import AuditAction
from guanxi.core.writes import check_version
from guanxi.customers.models import RECYCLE_BIN_DAYS, Customer
from guanxi.customers.timeline import TimelineText, timeline_add


def _binned_customer_lock(actor: Any, customer_id: int) -> Customer:
    """A customer in the recycle bin that the actor may see, locked; 404 otherwise (also
    for one that is not deleted), 403 if the actor may not change it."""
    qs = permissions.scope_customers(
        actor, Customer.all_objects.select_for_update().filter(deleted_at__isnull=False), one=True
    )
    try:
        customer = qs.get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("回收站中没有这位客户。"), field="customer_id") from None
    if not permissions.can_change_customer(actor, customer):
        raise PermissionDenied(_("你没有恢复该客户的权限。"))
    return customer


@transaction.atomic
def customer_restore(*, actor: Any, customer_id: int, version: int) -> Customer:
    """Take a customer out of the recycle bin, as it was (its contacts, preferences,
    communications and timeline never left). Whoever may delete it may restore it."""
    customer = _binned_customer_lock(actor, customer_id)
    check_version(customer, version)
    before = audit.snapshot(customer, ["deleted_at", "deleted_by_id"])
    customer.deleted_at = None
    customer.deleted_by = None
    customer.version += 1
    customer.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=customer,
        changes=audit.diff(before, audit.snapshot(customer, before.keys())),
        customer_id=customer.pk,
    )
    timeline_add(
        customer_id=customer.pk,
        kind="bin",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("从回收站恢复"), {}),
        actor=actor,
        subject=customer,
    )
    return customer


def _purge(actor: Any, customer: Customer) -> None:
    # The cascade removes these rows too; each leaves its own audit entry like a direct delete.
    for related in (
        customer.contacts,
        customer.preferences,
        customer.communications,
        customer.collaborators,
    ):
        for child in related.all():
            audit.audit_delete(actor=actor, obj=child, customer_id=customer.pk)
    audit.audit_delete(actor=actor, obj=customer, customer_id=customer.pk)
    customer.delete()


@transaction.atomic
def customer_purge(*, actor: Any, customer_id: int) -> None:
    """Remove a customer from the recycle bin for good before its time: administrators
    only (everyone else waits for the purge rule)."""
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以彻底删除回收站中的客户。"))
    _purge(actor, _binned_customer_lock(actor, customer_id))


def customers_purge_expired(*, now: dt.datetime | None = None, chunk_size: int = 200) -> int:
    """The scheduled rule (``core.periodic``, registered in ``apps.py``): remove the
    customers deleted more than ``RECYCLE_BIN_DAYS`` days ago, audited as the system, one
    transaction per chunk. Safe in several workers at once (rows are locked, skipping
    those another worker holds). Returns how many were removed."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=RECYCLE_BIN_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Customer.all_objects.select_for_update(skip_locked=True)
                .filter(deleted_at__lt=cutoff)
                .order_by("pk")[:chunk_size]
            )
            for customer in batch:
                _purge(None, customer)
        purged += len(batch)
        if len(batch) < chunk_size:
            return purged
