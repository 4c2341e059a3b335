"""Writes of complaints (SPEC C2): the root-cause tree (admins) and the complaint record of
a complaint ticket (whoever works the ticket). Each write audits old → new; the complaint
record also goes on the customer's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import Team
from guanxi.core import audit
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.core.money import decimal_field_max, parse_money
from guanxi.core.writes import check_version, reject_unknown
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.orders.models import Product
from guanxi.service.models import (
    ROOT_CAUSE_MAX_DEPTH,
    CompensationKind,
    Complaint,
    RootCause,
    TicketCategory,
)
from guanxi.service.services.tickets import ticket_lock

ROOT_CAUSE_FIELDS = frozenset({"name", "parent_id", "active", "order"})
COMPLAINT_FIELDS = frozenset(
    {
        "root_cause_id",
        "resolution",
        "compensation_amount",
        "compensation_kind",
        "department_id",
        "product_id",
    }
)
MAX_RESOLUTION = 5000
MAX_COMPENSATION = decimal_field_max(Complaint._meta.get_field("compensation_amount"))


def _id(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed({field: _("必须是整数。")})
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed({field: _("必须是整数。")}) from None
    if not 1 <= number <= MAX_ID:
        raise ValidationFailed({field: _("必须是整数。")})
    return number


# --- the root-cause tree -------------------------------------------------------------------


def _may_manage(actor: Any) -> None:
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以维护投诉根因。"))


def _depth(node: RootCause | None) -> int:
    depth = 0
    while node is not None:
        depth += 1
        node = node.parent
    return depth


def _clean_root_cause(node: RootCause, data: Mapping[str, Any]) -> None:
    reject_unknown(data, ROOT_CAUSE_FIELDS)
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or not name.strip():
            raise ValidationFailed({"name": _("这个字段是必填项。")})
        if len(name.strip()) > 100:
            raise ValidationFailed({"name": _("不能超过 100 个字符。")})
        node.name = name.strip()
    if "active" in data:
        if not isinstance(data["active"], bool):
            raise ValidationFailed({"active": _("无效的选项。")})
        node.active = data["active"]
    if "order" in data:
        order = data["order"]
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 32767:
            raise ValidationFailed({"order": _("必须是 0 到 32767 之间的整数。")})
        node.order = order
    if "parent_id" in data:
        parent_id = _id(data["parent_id"], "parent_id")
        parent = None
        if parent_id is not None:
            parent = RootCause.objects.filter(pk=parent_id).first()
            if parent is None:
                raise ValidationFailed({"parent_id": _("上级根因不存在。")})
            ancestor: RootCause | None = parent
            while ancestor is not None:
                if node.pk is not None and ancestor.pk == node.pk:
                    raise ValidationFailed({"parent_id": _("不能把根因放到它自己的下级。")})
                ancestor = ancestor.parent
            if _depth(parent) >= ROOT_CAUSE_MAX_DEPTH:
                raise ValidationFailed(
                    {"parent_id": _("根因树最多 %(n)s 层。") % {"n": ROOT_CAUSE_MAX_DEPTH}}
                )
        node.parent = parent
    clash = RootCause.objects.filter(parent_id=node.parent_id, name=node.name)
    if node.pk is not None:
        clash = clash.exclude(pk=node.pk)
    if clash.exists():
        raise ValidationFailed({"name": _("同一上级下已有同名根因。")})


def _save_unique(node: RootCause) -> None:
    try:
        with transaction.atomic():
            node.save()
    except IntegrityError:  # a concurrent twin passed the check above
        raise ValidationFailed({"name": _("同一上级下已有同名根因。")}) from None


@transaction.atomic
def root_cause_create(*, actor: Any, data: Mapping[str, Any]) -> RootCause:
    _may_manage(actor)
    if "name" not in data:
        raise ValidationFailed({"name": _("这个字段是必填项。")})
    node = RootCause()
    _clean_root_cause(node, data)
    _save_unique(node)
    audit.audit_create(actor=actor, obj=node)
    return node


@transaction.atomic
def root_cause_update(
    *, actor: Any, root_cause_id: int, data: Mapping[str, Any], version: int | None
) -> RootCause:
    """Rename, move, reorder or switch off a node (switched-off causes stay on the
    complaints that have them and are no longer offered)."""
    _may_manage(actor)
    node = RootCause.objects.select_for_update().filter(pk=root_cause_id).first()
    if node is None:
        raise NotFound(_("投诉根因不存在。"))
    check_version(node, version)
    before = audit.snapshot(node)
    _clean_root_cause(node, data)
    if not audit.diff(before, audit.snapshot(node, before.keys())):
        return node
    node.version += 1
    _save_unique(node)
    audit.audit_update(actor=actor, obj=node, before=before)
    return node


# --- the complaint record ------------------------------------------------------------------


def _clean_complaint(complaint: Complaint, data: Mapping[str, Any]) -> None:
    reject_unknown(data, COMPLAINT_FIELDS)
    errors: dict[str, str] = {}
    if "root_cause_id" in data:
        cause_id = _id(data["root_cause_id"], "root_cause_id")
        cause = None
        if cause_id is not None:
            cause = RootCause.objects.filter(pk=cause_id).first()
            # A switched-off cause is kept on the complaints that already have it.
            if cause is None or (not cause.active and cause_id != complaint.root_cause_id):
                errors["root_cause_id"] = _("根因不存在或已停用。")
        complaint.root_cause = cause
    if "resolution" in data:
        text = data["resolution"]
        if not isinstance(text, str):
            errors["resolution"] = _("必须是文字。")
        elif len(text.strip()) > MAX_RESOLUTION:
            errors["resolution"] = _("不能超过 5000 个字符。")
        else:
            complaint.resolution = text.replace("\x00", "").strip()
    if "compensation_amount" in data:
        value = data["compensation_amount"]
        amount = Decimal("0") if value in (None, "") else parse_money(value, "compensation_amount")
        if amount > MAX_COMPENSATION:
            errors["compensation_amount"] = _("数值过大。")
        else:
            complaint.compensation_amount = amount
    if "compensation_kind" in data:
        kind = data["compensation_kind"] or ""
        if kind and kind not in CompensationKind.values:
            errors["compensation_kind"] = _("无效的选项。")
        else:
            complaint.compensation_kind = kind
    if "department_id" in data:
        team_id = _id(data["department_id"], "department_id")
        team = Team.objects.filter(pk=team_id).first() if team_id is not None else None
        if team_id is not None and team is None:
            errors["department_id"] = _("部门不存在。")
        complaint.department = team
    if "product_id" in data:
        product_id = _id(data["product_id"], "product_id")
        product = Product.objects.filter(pk=product_id).first() if product_id else None
        if product_id is not None and product is None:
            errors["product_id"] = _("产品不存在。")
        complaint.product = product
    if (
        "compensation_kind" not in errors
        and complaint.compensation_amount > 0
        and not complaint.compensation_kind
    ):
        errors["compensation_kind"] = _("有补偿金额时请选择补偿方式。")
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def complaint_save(
    *, actor: Any, ticket_id: int, data: Mapping[str, Any], version: int | None
) -> Complaint:
    """Create the complaint record of a complaint ticket (``version`` ignored) or edit
    it (``version`` of the record as read). Refused for a ticket of another category."""
    ticket = ticket_lock(actor, ticket_id)
    if ticket.category != TicketCategory.COMPLAINT:
        raise ValidationFailed({"category": _("只有“投诉”类工单有投诉记录。")})
    complaint = Complaint.objects.select_for_update().filter(ticket=ticket).first()
    if complaint is None:
        complaint = Complaint(ticket=ticket, created_by=actor)
        _clean_complaint(complaint, data)
        complaint.save()
        audit.audit_create(actor=actor, obj=complaint, customer_id=ticket.customer_id)
        title = gettext_noop("工单 #%(number)s 记录投诉：%(cause)s")
    else:
        check_version(complaint, version)
        before = audit.snapshot(complaint)
        _clean_complaint(complaint, data)
        if not audit.diff(before, audit.snapshot(complaint, before.keys())):
            return complaint
        complaint.version += 1
        complaint.save()
        audit.audit_update(
            actor=actor, obj=complaint, before=before, customer_id=ticket.customer_id
        )
        title = gettext_noop("工单 #%(number)s 投诉记录更新：%(cause)s")
    if ticket.customer_id is not None:
        timeline_add(
            customer_id=ticket.customer_id,
            kind="ticket",
            occurred_at=timezone.now(),
            title=TimelineText(
                title,
                {
                    "number": ticket.pk,
                    "cause": complaint.root_cause.name if complaint.root_cause else "—",
                },
            ),
            actor=actor,
            subject=ticket,
            data={
                "compensation_amount": f"{complaint.compensation_amount:.2f}",
                "compensation_kind": complaint.compensation_kind,
            },
        )
    return complaint
