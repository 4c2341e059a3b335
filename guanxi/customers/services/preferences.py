"""Writes of a customer's preferences."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.core.errors import Conflict
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.customers.models import Preference
from guanxi.customers.services.locks import customer_lock, customer_record_lock
from guanxi.customers.timeline import TimelineText, timeline_add

PREFERENCE_FIELDS = frozenset({"category", "key", "value", "note"})


@transaction.atomic
def preference_create(*, actor: Any, customer_id: int, data: Mapping[str, Any]) -> Preference:
    customer = customer_lock(actor, customer_id)
    reject_unknown(data, PREFERENCE_FIELDS)
    pref = Preference(customer=customer)
    apply_fields(pref, data)
    full_clean(pref, exclude=["customer"])
    if Preference.objects.filter(customer=customer, category=pref.category, key=pref.key).exists():
        raise Conflict(_("该客户已有同类同名的偏好。"), field="key")
    pref.save()
    audit.audit_create(actor=actor, obj=pref, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="preference",
        occurred_at=timezone.now(),
        title=TimelineText(
            gettext_noop("记录偏好：%(key)s = %(value)s"), {"key": pref.key, "value": pref.value}
        ),
        actor=actor,
        subject=pref,
    )
    return pref


@transaction.atomic
def preference_update(
    *, actor: Any, preference_id: int, data: Mapping[str, Any], version: int
) -> Preference:
    pref, customer = customer_record_lock(actor, Preference, preference_id)
    check_version(pref, version)
    reject_unknown(data, PREFERENCE_FIELDS)
    before = audit.snapshot(pref)
    apply_fields(pref, data)
    full_clean(pref, exclude=["customer"])
    if not audit.diff(before, audit.snapshot(pref, before.keys())):
        return pref
    pref.version += 1
    try:
        with transaction.atomic():
            pref.save()
    except IntegrityError as exc:
        raise Conflict(_("该客户已有同类同名的偏好。"), field="key") from exc
    audit.audit_update(actor=actor, obj=pref, before=before, customer_id=customer.pk)
    return pref


@transaction.atomic
def preference_delete(*, actor: Any, preference_id: int, version: int) -> None:
    pref, customer = customer_record_lock(actor, Preference, preference_id)
    check_version(pref, version)
    audit.audit_delete(actor=actor, obj=pref, customer_id=customer.pk)
    pref.delete()
