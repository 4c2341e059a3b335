"""Writes of communications (沟通记录) and their follow-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.customers.models import Communication, Contact, Customer
from guanxi.customers.services.locks import customer_lock, customer_record_lock
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add, timeline_refresh

COMMUNICATION_FIELDS = frozenset(
    {"contact_id", "channel", "direction", "occurred_at", "summary", "next_follow_up",
     "follow_up_done"}
)  # fmt: skip


def _check_contact_belongs(contact_id: Any, customer: Customer) -> None:
    if (
        contact_id is not None
        and not Contact.objects.filter(pk=contact_id, customer=customer).exists()
    ):
        raise ValidationFailed({"contact_id": _("联系人不属于该客户。")})


def _communication_timeline(comm: Communication) -> dict[str, Any]:
    """What a communication's timeline entry shows; written on create, rewritten on edit."""
    return {
        "occurred_at": comm.occurred_at,
        "title": TimelineText(
            gettext_noop("%(channel)s · %(direction)s"),
            {"channel": ChoiceLabel.of(comm, "channel"),
             "direction": ChoiceLabel.of(comm, "direction")},
        ),
        "body": comm.summary,
        "data": {
            "channel": comm.channel,
            "next_follow_up": comm.next_follow_up.isoformat() if comm.next_follow_up else None,
            "follow_up_done": comm.follow_up_done,
        },
    }  # fmt: skip


def _check_follow_up_date(comm: Communication, before: dt.date | None = None) -> None:
    """An open follow-up must not be planned for a day already gone: it would be overdue the
    moment it is saved (and a typo of the year is the usual cause). A date that has merely
    passed since it was set does not block other edits, and a follow-up recorded as done
    may carry any date (entering past work)."""
    day = comm.next_follow_up
    if day is None or comm.follow_up_done or day == before:
        return
    today = timezone.localdate()
    if day < today:
        raise ValidationFailed(
            {
                "next_follow_up": _(
                    "下次跟进日期 %(day)s 已经过去（今天是 %(today)s）：请填写今天或以后的日期；"
                    "如果这次跟进已经做过，请勾选“跟进已完成”。"
                )
                % {"day": day.isoformat(), "today": today.isoformat()}
            }
        )


@transaction.atomic
def communication_create(*, actor: Any, customer_id: int, data: Mapping[str, Any]) -> Communication:
    customer = customer_lock(actor, customer_id, for_communication=True)
    reject_unknown(data, COMMUNICATION_FIELDS)
    _check_contact_belongs(data.get("contact_id"), customer)
    comm = Communication(customer=customer, staff=actor)
    apply_fields(comm, data)
    if comm.occurred_at is None:
        comm.occurred_at = timezone.now()
    full_clean(comm, exclude=["customer", "staff", "contact"])
    _check_follow_up_date(comm)
    comm.save()
    audit.audit_create(actor=actor, obj=comm, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="communication",
        actor=actor,
        subject=comm,
        **_communication_timeline(comm),
    )
    return comm


@transaction.atomic
def communication_update(
    *, actor: Any, communication_id: int, data: Mapping[str, Any], version: int
) -> Communication:
    comm, customer = customer_record_lock(
        actor, Communication, communication_id, for_communication=True
    )
    if not permissions.can_change_communication(
        actor, customer, staff_id=comm.staff_id, fields=data.keys()
    ):
        raise PermissionDenied(_("你只能修改自己记录的沟通。"))
    check_version(comm, version)
    reject_unknown(data, COMMUNICATION_FIELDS)
    _check_contact_belongs(data.get("contact_id"), customer)
    before = audit.snapshot(comm)
    stored_follow_up = comm.next_follow_up
    apply_fields(comm, data)
    full_clean(comm, exclude=["customer", "staff", "contact"])
    _check_follow_up_date(comm, stored_follow_up)
    if not audit.diff(before, audit.snapshot(comm, before.keys())):
        return comm
    comm.version += 1
    comm.save()
    audit.audit_update(actor=actor, obj=comm, before=before, customer_id=customer.pk)
    timeline_refresh(subject=comm, kind="communication", **_communication_timeline(comm))
    return comm
