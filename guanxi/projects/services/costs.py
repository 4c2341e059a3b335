"""Writes of project costs: hourly cost rates (per person or project role, from a date
on), and cost entries (materials, travel, subcontracting) with their approval.

A cost entry is written as a draft by whoever works on the project; submitting it approves
it at once when its amount is at or below ``GUANXI_COST_APPROVAL_LIMIT``, otherwise it goes
through the approval flow of document type ``project_cost`` (configured in the approvals
app) and is approved or rejected by that flow's approvers (``on_approved`` /
``on_rejected``, called by the engine in the deciding transaction). An approved cost above
the limit goes on the customer's timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.core.money import parse_money
from guanxi.core.writes import check_version, collect_errors, reject_unknown
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add
from guanxi.projects.models import (
    CostCategory,
    CostEntry,
    CostRate,
    CostStatus,
    Project,
    Task,
)
from guanxi.projects.models.costs import MAX_RATE
from guanxi.projects.services.plan import project_lock

__all__ = [
    "DOCUMENT_COST",
    "approval_limit",
    "can_manage_rates",
    "cost_entry_create",
    "cost_entry_decide",
    "cost_entry_delete",
    "cost_entry_lock",
    "cost_entry_submit",
    "cost_entry_update",
    "cost_rate_create",
    "cost_rate_delete",
    "cost_rate_update",
    "on_approved",
    "on_rejected",
    "on_withdrawn",
]

DOCUMENT_COST = "project_cost"
ENTRY_FIELDS = frozenset({"category", "amount", "date", "description", "task_id"})
RATE_FIELDS = frozenset({"user_id", "role", "hourly_rate", "currency", "valid_from"})
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
_EDITABLE = (CostStatus.DRAFT, CostStatus.REJECTED)


def approval_limit() -> Decimal:
    """The amount above which a cost entry needs the approval flow (settings, CNY)."""
    try:
        limit = Decimal(str(getattr(settings, "GUANXI_COST_APPROVAL_LIMIT", "5000")))
    except InvalidOperation:
        return Decimal("5000")
    return limit if limit.is_finite() and limit >= 0 else Decimal("5000")


def can_manage_rates(actor: Any) -> bool:
    """Who keeps cost rates: ``permissions.can_manage_cost_rates`` (admins, managers)."""
    return permissions.can_manage_cost_rates(actor)


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationFailed({field: _("日期格式应为 YYYY-MM-DD。")}) from None
    if not isinstance(value, dt.date):
        raise ValidationFailed({field: _("这个字段是必填项。")})
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValidationFailed({field: _("日期必须在 2000-01-01 到 2100-12-31 之间。")})
    return value


def _text(value: Any, field: str, length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed({field: _("必须是文字。")})
    text = value.replace("\x00", "").strip()
    if len(text) > length:
        raise ValidationFailed({field: _("不能超过 %(max)s 个字符。") % {"max": length}})
    return text


# --- cost rates ----------------------------------------------------------------------------


def _apply_rate(rate: CostRate, data: Mapping[str, Any]) -> None:
    reject_unknown(data, RATE_FIELDS)

    def who() -> None:
        if "user_id" in data or "role" in data:
            user_id = data.get("user_id", rate.user_id)
            role = _text(data.get("role", rate.role), "role", 50)
            if user_id in (None, "") and not role:
                raise ValidationFailed({"user_id": _("请选择人员或填写项目角色（二选一）。")})
            if user_id not in (None, "") and role:
                raise ValidationFailed({"role": _("人员与项目角色只能填一个。")})
            if user_id not in (None, ""):
                if (
                    isinstance(user_id, bool)
                    or not isinstance(user_id, int)
                    or not 1 <= user_id <= MAX_ID
                    or not User.objects.filter(pk=user_id, is_active=True)
                    .exclude(role="portal")
                    .exists()
                ):
                    raise ValidationFailed({"user_id": _("该用户不存在。")})
                rate.user_id, rate.role = user_id, ""
            else:
                rate.user_id, rate.role = None, role

    def amount() -> None:
        if "hourly_rate" in data:
            value = parse_money(data["hourly_rate"], "hourly_rate")
            if value > MAX_RATE:
                raise ValidationFailed({"hourly_rate": _("数值过大。")})
            rate.hourly_rate = value

    def currency() -> None:
        if "currency" in data:
            code = _text(data["currency"], "currency", 3).upper()
            if len(code) != 3 or not code.isalpha():
                raise ValidationFailed({"currency": _("币种必须是 3 个字母，例如 CNY。")})
            rate.currency = code

    def valid_from() -> None:
        if "valid_from" in data:
            rate.valid_from = _date(data["valid_from"], "valid_from")

    collect_errors(who, amount, currency, valid_from)
    missing: dict[str, str] = {}
    if rate.user_id is None and not rate.role:
        missing["user_id"] = _("请选择人员或填写项目角色（二选一）。")
    if rate.hourly_rate is None:
        missing["hourly_rate"] = _("这个字段是必填项。")
    if rate.valid_from is None:
        missing["valid_from"] = _("这个字段是必填项。")
    if missing:
        raise ValidationFailed(missing)


def _save_rate(rate: CostRate) -> None:
    try:
        with transaction.atomic():
            rate.save()
    except IntegrityError:
        raise Conflict(
            _("同一人员或角色在同一生效日期只能有一个费率。"), field="valid_from"
        ) from None


@transaction.atomic
def cost_rate_create(*, actor: Any, data: Mapping[str, Any]) -> CostRate:
    if not can_manage_rates(actor):
        raise PermissionDenied(_("只有管理员和经理可以维护成本费率。"))
    rate = CostRate()
    _apply_rate(rate, data)
    _save_rate(rate)
    audit.audit_create(actor=actor, obj=rate)
    return rate


def _rate_lock(actor: Any, rate_id: Any) -> CostRate:
    if not can_manage_rates(actor):
        raise PermissionDenied(_("只有管理员和经理可以维护成本费率。"))
    if isinstance(rate_id, bool) or not isinstance(rate_id, int) or not 1 <= rate_id <= MAX_ID:
        raise NotFound(_("费率不存在。"), field="rate_id")
    rate = CostRate.objects.select_for_update().filter(pk=rate_id).first()
    if rate is None:
        raise NotFound(_("费率不存在。"), field="rate_id")
    return rate


@transaction.atomic
def cost_rate_update(
    *, actor: Any, rate_id: Any, data: Mapping[str, Any], version: int | None
) -> CostRate:
    rate = _rate_lock(actor, rate_id)
    check_version(rate, version)
    before = audit.snapshot(rate)
    _apply_rate(rate, data)
    if not audit.diff(before, audit.snapshot(rate, before.keys())):
        return rate
    rate.version += 1
    _save_rate(rate)
    audit.audit_update(actor=actor, obj=rate, before=before)
    return rate


@transaction.atomic
def cost_rate_delete(*, actor: Any, rate_id: Any, version: int | None) -> None:
    rate = _rate_lock(actor, rate_id)
    check_version(rate, version)
    audit.audit_delete(actor=actor, obj=rate)
    rate.delete()


# --- cost entries --------------------------------------------------------------------------


def _apply_entry(entry: CostEntry, project: Project, data: Mapping[str, Any]) -> None:
    reject_unknown(data, ENTRY_FIELDS)
    creating = entry.pk is None

    def category() -> None:
        if "category" in data or creating:
            if data.get("category") not in CostCategory.values:
                raise ValidationFailed({"category": _("无效的选项。")})
            entry.category = data["category"]

    def amount() -> None:
        if "amount" in data or creating:
            if data.get("amount") in (None, ""):
                raise ValidationFailed({"amount": _("这个字段是必填项。")})
            entry.amount = parse_money(data["amount"], "amount", positive=True)

    def day() -> None:
        if "date" in data or creating:
            entry.date = _date(data.get("date"), "date")

    def description() -> None:
        if "description" in data:
            entry.description = _text(data["description"], "description", 500)

    def task() -> None:
        if "task_id" not in data:
            return
        task_id = data["task_id"]
        if task_id in (None, "", 0):
            entry.task = None
            return
        if isinstance(task_id, bool) or not isinstance(task_id, int) or not 1 <= task_id <= MAX_ID:
            raise ValidationFailed({"task_id": _("任务不存在。")})
        found = Task.objects.filter(project=project, pk=task_id).only("id").first()
        if found is None:
            raise ValidationFailed({"task_id": _("任务不存在。")})
        entry.task = found

    collect_errors(category, amount, day, description, task)


@transaction.atomic
def cost_entry_create(*, actor: Any, project_id: Any, data: Mapping[str, Any]) -> CostEntry:
    """A draft cost entry on a project the actor works on."""
    project = project_lock(actor, project_id)
    entry = CostEntry(project=project, created_by=actor, currency=project.currency)
    _apply_entry(entry, project, data)
    entry.save()
    audit.audit_create(actor=actor, obj=entry, customer_id=project.customer_id)
    return entry


def cost_entry_lock(actor: Any, entry_id: Any) -> tuple[CostEntry, Project]:
    if isinstance(entry_id, bool) or not isinstance(entry_id, int) or not 1 <= entry_id <= MAX_ID:
        raise NotFound(_("成本记录不存在。"), field="entry_id")
    project_id = CostEntry.objects.filter(pk=entry_id).values_list("project_id", flat=True).first()
    if project_id is None:
        raise NotFound(_("成本记录不存在。"), field="entry_id")
    try:
        project = project_lock(actor, project_id)
    except NotFound:
        raise NotFound(_("成本记录不存在。"), field="entry_id") from None
    entry = CostEntry.objects.select_for_update().get(pk=entry_id)
    return entry, project


def _refuse_unless_editable(entry: CostEntry) -> None:
    if entry.status not in _EDITABLE:
        raise ValidationFailed({"status": _("只有草稿或已驳回的成本记录可以修改。")})


@transaction.atomic
def cost_entry_update(
    *, actor: Any, entry_id: Any, data: Mapping[str, Any], version: int | None
) -> CostEntry:
    entry, project = cost_entry_lock(actor, entry_id)
    check_version(entry, version)
    _refuse_unless_editable(entry)
    before = audit.snapshot(entry)
    _apply_entry(entry, project, data)
    if not audit.diff(before, audit.snapshot(entry, before.keys())):
        return entry
    entry.version += 1
    entry.save()
    audit.audit_update(actor=actor, obj=entry, before=before, customer_id=project.customer_id)
    return entry


@transaction.atomic
def cost_entry_delete(*, actor: Any, entry_id: Any, version: int | None) -> None:
    entry, project = cost_entry_lock(actor, entry_id)
    check_version(entry, version)
    _refuse_unless_editable(entry)
    audit.audit_delete(actor=actor, obj=entry, customer_id=project.customer_id)
    entry.delete()


@transaction.atomic
def cost_entry_submit(*, actor: Any, entry_id: Any, version: int | None) -> CostEntry:
    """Submit a draft (or rejected, edited) entry: approved at once up to the limit,
    otherwise sent to the ``project_cost`` approval flow (refused, changing nothing,
    when no flow is active)."""
    from guanxi.approvals.services import approval_submit

    entry, project = cost_entry_lock(actor, entry_id)
    check_version(entry, version)
    _refuse_unless_editable(entry)
    before = audit.snapshot(entry)
    now = timezone.now()
    entry.submitted_at = now
    entry.reject_reason = ""
    entry.version += 1
    if entry.amount <= approval_limit():
        entry.status = CostStatus.APPROVED
        entry.approved_by = actor
        entry.approved_at = now
        entry.save()
        audit.audit_update(actor=actor, obj=entry, before=before, customer_id=project.customer_id)
        _kpi_refresh(project.pk)
        return entry
    entry.status = CostStatus.PENDING
    entry.save()
    audit.audit_update(actor=actor, obj=entry, before=before, customer_id=project.customer_id)
    approval_submit(actor=actor, document_type=DOCUMENT_COST, object_id=entry.pk)
    return entry


@transaction.atomic
def cost_entry_decide(*, actor: Any, entry_id: Any, decision: Any, comment: Any = "") -> CostEntry:
    """Approve or reject a pending entry's current approval step, as one of its approvers
    (the approvals engine checks who may)."""
    from guanxi.approvals.selectors import can_read_request, request_for_document
    from guanxi.approvals.services import approval_decide
    from guanxi.projects.selectors_actuals import cost_entry_get

    try:
        entry = cost_entry_get(actor=actor, entry_id=entry_id)
        request = request_for_document(document_type=DOCUMENT_COST, object_id=entry.pk)
    except NotFound:
        # An approver outside the project's scope decides what the flow gave them.
        found = CostEntry.objects.filter(pk=entry_id).first()
        request = (
            request_for_document(document_type=DOCUMENT_COST, object_id=found.pk)
            if found is not None
            else None
        )
        if found is None or request is None or not can_read_request(actor, request):
            raise
        entry = found
    if entry.status != CostStatus.PENDING or request is None:
        raise ValidationFailed({"status": _("该成本记录不在审批中。")})
    approval_decide(
        actor=actor,
        request_id=request.pk,
        decision=decision,
        version=request.version,
        comment=comment if isinstance(comment, str) else "",
    )
    entry.refresh_from_db()
    return entry


# --- what the approval engine calls --------------------------------------------------------


def _set_status(entry: CostEntry, actor: Any, status: str, reason: str = "") -> CostEntry:
    locked = (
        CostEntry.objects.select_for_update(of=("self",)).select_related("project").get(pk=entry.pk)
    )
    before = audit.snapshot(locked)
    locked.status = status
    if status == CostStatus.APPROVED:
        locked.approved_by = actor
        locked.approved_at = timezone.now()
    locked.reject_reason = reason[:500]
    locked.version += 1
    locked.save()
    audit.audit_update(
        actor=actor, obj=locked, before=before, customer_id=locked.project.customer_id
    )
    entry.status, entry.version = locked.status, locked.version
    return locked


def _kpi_refresh(project_id: int) -> None:
    # An approved cost is actual cost: CPI moved.
    from guanxi.projects.services.kpi import kpi_request_refresh

    kpi_request_refresh(project_id=project_id)


def on_approved(entry: CostEntry, actor: Any) -> None:
    locked = _set_status(entry, actor, CostStatus.APPROVED)
    _kpi_refresh(locked.project_id)
    timeline_add(
        customer_id=locked.project.customer_id,
        kind="project",
        occurred_at=timezone.now(),
        title=TimelineText(
            gettext_noop("项目 %(name)s 成本审批通过：%(category)s ¥%(amount)s"),
            {
                "name": locked.project.name,
                "category": ChoiceLabel.of(locked, "category"),
                "amount": str(locked.amount),
            },
        ),
        actor=actor,
        subject=locked.project,
        data={"cost_entry": locked.pk},
    )


def on_rejected(entry: CostEntry, actor: Any, comment: str = "") -> None:
    _set_status(entry, actor, CostStatus.REJECTED, comment)


def on_withdrawn(entry: CostEntry, actor: Any) -> None:
    _set_status(entry, actor, CostStatus.DRAFT)
