"""Writes of sales targets (业绩目标, SPEC B4): set (create or change) a month's target of an
owner or a department, remove one, and the target settings. Managers set targets within
their write scope, administrators for everyone; each write is audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import Team, User
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.money import parse_money
from guanxi.core.writes import check_version
from guanxi.sales import selectors_targets as selectors
from guanxi.sales.models_targets import Target, TargetMetric, TargetPolicy

#: Rates are percentages; the others amounts or counts.
RATE_LIMIT = Decimal("100")


def _int(value: Any, name: str, low: int, high: int, errors: dict[str, str]) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(str(value))
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        errors[name] = _("须为 %(low)s 到 %(high)s 之间的整数。") % {"low": low, "high": high}
    return number


def _value(metric: str, value: Any) -> Decimal:
    number = parse_money(value, "value")
    if metric in (TargetMetric.RETENTION, TargetMetric.SATISFACTION) and number > RATE_LIMIT:
        raise ValidationFailed({"value": _("比率不能超过 100。")})
    if metric == TargetMetric.NEW_CUSTOMERS and number != number.to_integral_value():
        raise ValidationFailed({"value": _("新客户数必须是整数。")})
    return number


def _subject(actor: Any, owner_id: Any, team_id: Any) -> tuple[User | None, int]:
    """The owner (and their department) or the department a target is for."""
    if (owner_id in (None, "")) == (team_id in (None, "")):
        raise ValidationFailed({"owner_id": _("请选择负责人或部门（二选一）。")})
    if owner_id not in (None, ""):
        owner = (
            permissions.users_visible_to(actor, User.objects.all())
            .filter(pk=_id(owner_id, "owner_id"))
            .first()
        )
        if owner is None:
            raise ValidationFailed({"owner_id": _("用户不存在。")})
        if not permissions.holds_customers(owner.role):
            raise ValidationFailed({"owner_id": _("只能给销售人员设定目标。")})
        if not selectors.can_set_target(actor, owner_id=owner.pk, team_id=owner.team_id):
            raise PermissionDenied(_("你不能为该负责人设定目标。"), field="owner_id")
        if owner.team_id is None:
            raise ValidationFailed({"owner_id": _("该用户不属于任何部门。")})
        return owner, owner.team_id
    team = Team.objects.filter(pk=_id(team_id, "team_id")).first()
    if team is None:
        raise ValidationFailed({"team_id": _("部门不存在。")})
    if not selectors.can_set_target(actor, owner_id=None, team_id=team.pk):
        raise PermissionDenied(_("你不能为该部门设定目标。"), field="team_id")
    return None, team.pk


def _id(value: Any, name: str) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(str(value))
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 2**63 - 1:
        raise ValidationFailed({name: _("必须是正整数。")})
    return number


@transaction.atomic
def target_set(
    *,
    actor: Any,
    metric: Any,
    year: Any,
    month: Any,
    value: Any,
    owner_id: Any = None,
    team_id: Any = None,
    version: int | None = None,
) -> Target:
    """Set the target of one metric and month for an owner or a department. A new one is
    created; an existing one is changed only with its current ``version`` (without one, a
    conflict: somebody set it meanwhile, look before overwriting)."""
    if not selectors.can_set_targets(actor):
        raise PermissionDenied(_("只有经理和管理员可以设定业绩目标。"))
    errors: dict[str, str] = {}
    if metric not in TargetMetric.values:
        errors["metric"] = _("无效的选项。")
    year_n = _int(year, "year", 2000, 2100, errors)
    month_n = _int(month, "month", 1, 12, errors)
    if errors:
        raise ValidationFailed(errors)
    amount = _value(metric, value)
    owner, team_pk = _subject(actor, owner_id, team_id)
    lookup = {"metric": metric, "year": year_n, "month": month_n}
    if owner is not None:
        lookup["owner"] = owner
    else:
        lookup.update(owner__isnull=True, team_id=team_pk)
    existing = Target.objects.select_for_update().filter(**lookup).first()
    if existing is None:
        target = Target(metric=metric, year=year_n, month=month_n, owner=owner, team_id=team_pk,
                        value=amount, created_by=actor)  # fmt: skip
        try:
            with transaction.atomic():
                target.save()
        except IntegrityError:
            raise Conflict(_("该目标刚被他人设定，请刷新后再修改。"), field="version") from None
        audit.audit_create(actor=actor, obj=target)
        return target
    if version is None:
        raise Conflict(_("该月已有目标（%(value)s），请刷新后在列表中修改。")
                       % {"value": f"{existing.value:,.2f}"}, field="version")  # fmt: skip
    check_version(existing, version)
    if existing.value == amount and existing.team_id == team_pk:
        return existing
    before = audit.snapshot(existing)
    existing.value, existing.team_id = amount, team_pk
    existing.version += 1
    existing.save()
    audit.audit_update(actor=actor, obj=existing, before=before)
    return existing


def _lock(actor: Any, target_id: Any) -> Target:
    target = selectors.target_get(actor=actor, target_id=target_id)  # 404 out of scope
    locked = Target.objects.select_for_update().filter(pk=target.pk).first()
    if locked is None:
        raise NotFound(_("业绩目标不存在。"))
    if not selectors.can_set_target(actor, owner_id=locked.owner_id, team_id=locked.team_id):
        raise PermissionDenied(_("只有经理和管理员可以设定业绩目标。"))
    return locked


@transaction.atomic
def target_update(*, actor: Any, target_id: Any, value: Any, version: int | None) -> Target:
    target = _lock(actor, target_id)
    check_version(target, version)
    amount = _value(target.metric, value)
    if amount == target.value:
        return target
    before = audit.snapshot(target)
    target.value = amount
    target.version += 1
    target.save()
    audit.audit_update(actor=actor, obj=target, before=before)
    return target


@transaction.atomic
def target_delete(*, actor: Any, target_id: Any, version: int | None) -> None:
    target = _lock(actor, target_id)
    check_version(target, version)
    audit.audit_delete(actor=actor, obj=target)
    target.delete()


@transaction.atomic
def target_policy_update(*, actor: Any, band_percent: Any, history_months: Any) -> TargetPolicy:
    """The band a target may lie from the history and the months of history it is
    compared with: administrators only."""
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以修改目标设置。"))
    errors: dict[str, str] = {}
    band = _int(band_percent, "band_percent", 1, 1000, errors)
    months = _int(history_months, "history_months", 1, 24, errors)
    if errors:
        raise ValidationFailed(errors)
    row = TargetPolicy.objects.select_for_update().order_by("pk").first()
    if row is None:
        row = TargetPolicy(band_percent=band, history_months=months)
        row.save()
        audit.audit_create(actor=actor, obj=row)
        return row
    before = audit.snapshot(row)
    row.band_percent, row.history_months = band, months
    row.save()
    audit.audit_update(actor=actor, obj=row, before=before)
    return row
