"""Writes of opportunities. Each validates, locks, checks ``version``, writes in one
transaction, audits (old → new), puts the change on the customer's timeline and records
webhook events in the outbox of the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.money import MAX_AMOUNT, parse_money
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.customers.services import customer_lock
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add
from guanxi.orders.models import Product
from guanxi.sales import webhooks
from guanxi.sales.models import (
    Activity,
    LostReason,
    Opportunity,
    OpportunityLine,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageKind,
)
from guanxi.webhooks.services import emit

OPPORTUNITY_FIELDS = frozenset(
    {"name", "amount", "expected_close", "next_step", "next_step_due", "competitors"}
)
ACTIVITY_FIELDS = frozenset({"kind", "note", "at"})
# The gap between neighbouring cards' ranks: a card dropped between two others takes the
# midpoint, so ten moves into one gap fit before its column is renumbered.
GAP = 1024
MAX_LINES = 100
MAX_COMPETITORS = 20
COMPETITOR_LENGTH = 100


# --- locks and checks --------------------------------------------------------------------


def opportunity_lock(actor: Any, opportunity_id: Any) -> Opportunity:
    """The opportunity, locked for update: 404 when missing or out of the actor's read
    scope (the two look the same), 403 when readable but not changeable."""
    q = permissions.record_filter(actor)
    qs = Opportunity.objects.select_for_update()
    if q is not None:
        qs = qs.filter(q)
    try:
        opportunity = qs.get(pk=opportunity_id)
    except (Opportunity.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("商机不存在。")) from None
    if not permissions.can_change_record(
        actor, owner_id=opportunity.owner_id, team_id=opportunity.team_id
    ):
        raise PermissionDenied(_("你没有修改该商机的权限。"))
    return opportunity


def _clean_competitors(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed({"competitors": _("必须是文字列表。")})
    names = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(names) > MAX_COMPETITORS:
        raise ValidationFailed({"competitors": _("最多 20 个竞争对手。")})
    if any(len(v) > COMPETITOR_LENGTH for v in names):
        raise ValidationFailed({"competitors": _("每个竞争对手不能超过 100 个字符。")})
    return names


def _apply(opportunity: Opportunity, data: Mapping[str, Any]) -> None:
    reject_unknown(data, OPPORTUNITY_FIELDS)
    values = dict(data)
    if "amount" in values:
        values["amount"] = parse_money(values["amount"], "amount")
    if "competitors" in values:
        values["competitors"] = _clean_competitors(values["competitors"])
    apply_fields(opportunity, values)


def _missing_required(opportunity: Opportunity, stage: Stage, has_lines: bool) -> list[str]:
    missing = []
    for name in stage.required_fields or []:
        if name == "lines":
            filled = has_lines
        elif name == "amount":
            filled = bool(opportunity.amount)
        else:
            filled = bool(getattr(opportunity, name, None))
        if not filled:
            missing.append(name)
    return missing


def _check_required(opportunity: Opportunity, stage: Stage, *, has_lines: bool) -> None:
    """A stage may require fields before an opportunity enters it (``Stage.required_fields``)."""
    missing = _missing_required(opportunity, stage, has_lines)
    if missing:
        message = _("进入阶段“%(stage)s”前必须填写此项。") % {"stage": stage.name}
        raise ValidationFailed(dict.fromkeys(missing, message))


def _resolve_owner(actor: Any, owner_id: Any) -> User:
    if owner_id is None or owner_id == actor.pk:
        return actor
    owner = permissions.users_visible_to(actor, User.objects.all()).filter(pk=owner_id).first()
    if owner is None:
        raise ValidationFailed({"owner_id": _("用户不存在。")})
    if not permissions.can_assign_owner_to(
        actor, owner_id=owner.pk, team_id=owner.team_id, owner_role=owner.role
    ):
        raise PermissionDenied(
            _("不能把商机分配给 %(user)s：只能分配给你的数据范围内的销售人员。")
            % {"user": str(owner)},
            field="owner_id",
        )
    return owner


def _id(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**63 - 1 and not isinstance(value, bool) else None


def _lines(lines: Sequence[Mapping[str, Any]], *, prefixed: bool = True) -> list[OpportunityLine]:
    """Unsaved lines from ``lines``; errors name ``lines[i].<field>`` (or, for the one line
    of a form, ``<field>`` when not ``prefixed``)."""
    if len(lines) > MAX_LINES:
        raise ValidationFailed({"lines": _("最多 100 行产品。")})
    wanted = [_id(line.get("product_id")) for line in lines]
    products = {p.pk: p for p in Product.objects.filter(pk__in=[w for w in wanted if w])}
    built = []
    for i, line in enumerate(lines):
        at = f"lines[{i}]." if prefixed else ""
        reject_unknown(line, {"product_id", "quantity", "unit_price"})
        product = products.get(wanted[i] or 0)
        if product is None:
            raise ValidationFailed({f"{at}product_id": _("产品不存在。")})
        quantity = parse_money(line.get("quantity", 1), f"{at}quantity", positive=True)
        price = line.get("unit_price")
        unit_price = parse_money(product.unit_price if price is None else price, f"{at}unit_price")
        built.append(OpportunityLine(product=product, quantity=quantity, unit_price=unit_price))
    return built


def _stage_of(pipeline: Pipeline, stage_id: Any, field: str = "stage_id") -> Stage:
    stage = Stage.objects.select_for_update().filter(pk=stage_id, pipeline=pipeline).first()
    if stage is None:
        raise ValidationFailed({field: _("该销售流程中没有这个阶段。")})
    return stage


def _column_end(stage: Stage) -> int:
    last = Opportunity.objects.filter(stage=stage).aggregate(m=Max("position"))["m"]
    return GAP if last is None else last + GAP


def _column_top(stage: Stage) -> int:
    first = Opportunity.objects.filter(stage=stage).aggregate(m=Min("position"))["m"]
    return GAP if first is None else first - GAP


def _renumber(stage: Stage) -> None:
    """Spread the ranks of a column evenly again (when a gap is used up). The ranks are
    cleared first: the unique (stage, position) key is checked row by row."""
    ids = list(
        Opportunity.objects.filter(stage=stage, position__isnull=False)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    Opportunity.objects.filter(pk__in=ids).update(position=None)
    rows = [Opportunity(pk=pk, position=(i + 1) * GAP) for i, pk in enumerate(ids)]
    Opportunity.objects.bulk_update(rows, ["position"], batch_size=1000)


def _rank_at(stage: Stage, index: int, moving_id: int) -> int:
    """The rank that puts a card at ``index`` (0 = top) of ``stage``'s column, among the
    other cards of the column."""
    cards = (
        Opportunity.objects.filter(stage=stage, position__isnull=False)
        .exclude(pk=moving_id)
        .order_by("position", "id")
    )
    for _attempt in range(2):
        start = max(index - 1, 0)
        around = list(cards.values_list("position", flat=True)[start : index + 1])
        before = around[0] if index > 0 and around else None
        after = around[-1] if (index == 0 and around) or len(around) == 2 else None
        if before is None and after is None:
            return _column_end(stage) if index > 0 else GAP
        if before is None:
            return int(after) - GAP  # type: ignore[arg-type]
        if after is None:
            return int(before) + GAP
        if after - before >= 2:
            return (int(before) + int(after)) // 2
        _renumber(stage)
    raise AssertionError("a renumbered column always has room")  # pragma: no cover


def _timeline(
    opportunity: Opportunity, actor: Any, msgid: str, params: Mapping[str, Any] | None = None
) -> None:
    timeline_add(
        customer_id=opportunity.customer_id,
        kind="opportunity",
        occurred_at=timezone.now(),
        title=TimelineText(msgid, {"name": opportunity.name, **(params or {})}),
        actor=actor,
        subject=opportunity,
        data={"amount": str(opportunity.amount), "status": opportunity.status},
    )


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


# --- opportunities -----------------------------------------------------------------------


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(active=True).order_by("-is_default", "order", "id").first()


@transaction.atomic
def opportunity_create(
    *,
    actor: Any,
    customer_id: int,
    data: Mapping[str, Any],
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    lines: Sequence[Mapping[str, Any]] = (),
) -> Opportunity:
    """A new open opportunity at the end of its stage's column. Without ``stage_id`` it
    starts in the pipeline's first open stage; without ``pipeline_id`` in the default
    pipeline. The amount, when not given, is the sum of the product lines."""
    customer = customer_lock(actor, customer_id)
    pipeline = (
        Pipeline.objects.filter(pk=pipeline_id, active=True).first()
        if pipeline_id is not None
        else default_pipeline()
    )
    if pipeline is None:
        raise ValidationFailed({"pipeline_id": _("销售流程不存在。")})
    if stage_id is None:
        first = pipeline.stages.filter(kind=StageKind.OPEN).order_by("order", "id").first()
        if first is None:
            raise ValidationFailed({"pipeline_id": _("该销售流程还没有进行中的阶段。")})
        stage_id = first.pk
    stage = _stage_of(pipeline, stage_id)
    if stage.kind != StageKind.OPEN:
        raise ValidationFailed({"stage_id": _("新商机只能放在进行中的阶段。")})
    owner = _resolve_owner(actor, owner_id)
    opportunity = Opportunity(
        customer=customer, pipeline=pipeline, stage=stage, owner=owner,
        team_id=owner.team_id, created_by=actor,
    )  # fmt: skip
    _apply(opportunity, data)
    built = _lines(lines)
    if built and "amount" not in data:
        total = sum((li.quantity * li.unit_price for li in built), Decimal("0"))
        opportunity.amount = total.quantize(Decimal("0.01"))
    if opportunity.amount > MAX_AMOUNT:
        raise ValidationFailed({"amount": _("数值过大。")})
    full_clean(opportunity, exclude=["customer", "pipeline", "stage", "owner", "team",
                                     "created_by", "reason", "position"])  # fmt: skip
    _check_required(opportunity, stage, has_lines=bool(built))
    opportunity.position = _column_end(stage)
    opportunity.save()
    for line in built:
        line.opportunity = opportunity
    OpportunityLine.objects.bulk_create(built)
    audit.audit_create(actor=actor, obj=opportunity, customer_id=customer.pk)
    _timeline(
        opportunity, actor, gettext_noop("新建商机 %(name)s，金额 ¥%(amount)s"),
        {"amount": _money(opportunity.amount)},
    )  # fmt: skip
    emit(webhooks.OPPORTUNITY_CREATED, webhooks.payload(opportunity), actor=actor)
    return opportunity


@transaction.atomic
def opportunity_update(
    *,
    actor: Any,
    opportunity_id: int,
    data: Mapping[str, Any],
    version: int | None,
    owner_id: int | None = None,
) -> Opportunity:
    opportunity = opportunity_lock(actor, opportunity_id)
    check_version(opportunity, version)
    before = audit.snapshot(opportunity)
    _apply(opportunity, data)
    if owner_id is not None and owner_id != opportunity.owner_id:
        owner = _resolve_owner(actor, owner_id)
        opportunity.owner, opportunity.team_id = owner, owner.team_id
    full_clean(opportunity, exclude=["customer", "pipeline", "stage", "owner", "team",
                                     "created_by", "reason", "position"])  # fmt: skip
    has_lines = opportunity.lines.exists()
    if has_lines and "amount" in data and opportunity.amount != Decimal(before["amount"]):
        raise ValidationFailed(
            {"amount": _("该商机有产品明细，金额等于明细合计：请修改产品明细。")}
        )
    if opportunity.status == OpportunityStatus.OPEN:
        # The stage's rules hold while the opportunity stays in it.
        _check_required(opportunity, opportunity.stage, has_lines=has_lines)
    if not audit.diff(before, audit.snapshot(opportunity, before.keys())):
        return opportunity
    opportunity.version += 1
    opportunity.save()
    audit.audit_update(
        actor=actor, obj=opportunity, before=before, customer_id=opportunity.customer_id
    )
    return opportunity


def _close(opportunity: Opportunity, status: str, target: Stage | None) -> None:
    opportunity.status = status
    opportunity.closed_at = timezone.now()
    if target is not None:
        opportunity.stage = target
        opportunity.position = _column_top(target)
    else:
        opportunity.position = None  # off the board


def _closing_stage(opportunity: Opportunity, kind: str) -> Stage | None:
    return (
        Stage.objects.select_for_update()
        .filter(pipeline_id=opportunity.pipeline_id, kind=kind)
        .order_by("order", "id")
        .first()
    )


@transaction.atomic
def opportunity_move(
    *, actor: Any, opportunity_id: int, stage_id: Any, index: int, version: int | None
) -> Opportunity:
    """Drag a card to ``index`` (0 = top) of ``stage_id``'s column, within its pipeline.
    A stale ``version`` (someone moved or edited the card since) is a conflict and changes
    nothing. Entering a stage checks its required fields; dropping into a "won" stage wins
    the opportunity; a "lost" stage needs a reason, so it is refused here (lose it instead)."""
    opportunity = opportunity_lock(actor, opportunity_id)
    check_version(opportunity, version)
    if opportunity.status != OpportunityStatus.OPEN:
        raise ValidationFailed({"stage_id": _("已关闭的商机不能拖动。")})
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ValidationFailed({"index": _("必须是不小于 0 的整数。")})
    target = _stage_of(opportunity.pipeline, stage_id)
    if target.kind == StageKind.LOST:
        raise ValidationFailed({"stage_id": _("输单需要选择原因：请使用“输单”操作。")})
    entering = target.pk != opportunity.stage_id
    if entering:
        _check_required(opportunity, target, has_lines=opportunity.lines.exists())
    before = audit.snapshot(opportunity)
    old_stage = opportunity.stage
    opportunity.position = _rank_at(target, index, opportunity.pk)
    opportunity.stage = target
    if target.kind == StageKind.WON:
        opportunity.status = OpportunityStatus.WON
        opportunity.closed_at = timezone.now()
    opportunity.version += 1
    opportunity.save()
    audit.audit_update(
        actor=actor, obj=opportunity, before=before, customer_id=opportunity.customer_id
    )
    if entering:
        _timeline(
            opportunity, actor, gettext_noop("商机 %(name)s：%(old)s → %(new)s"),
            {"old": old_stage.name, "new": target.name},
        )  # fmt: skip
    if opportunity.status == OpportunityStatus.WON:
        emit(webhooks.OPPORTUNITY_WON, webhooks.payload(opportunity), actor=actor)
    return opportunity


@transaction.atomic
def opportunity_win(*, actor: Any, opportunity_id: int, version: int | None) -> Opportunity:
    opportunity = opportunity_lock(actor, opportunity_id)
    check_version(opportunity, version)
    if opportunity.status != OpportunityStatus.OPEN:
        raise ValidationFailed({"status": _("只有进行中的商机可以赢单。")})
    before = audit.snapshot(opportunity)
    _close(opportunity, OpportunityStatus.WON, _closing_stage(opportunity, StageKind.WON))
    opportunity.version += 1
    opportunity.save()
    audit.audit_update(
        actor=actor, obj=opportunity, before=before, customer_id=opportunity.customer_id
    )
    _timeline(
        opportunity, actor, gettext_noop("商机 %(name)s 赢单，金额 ¥%(amount)s"),
        {"amount": _money(opportunity.amount)},
    )  # fmt: skip
    emit(webhooks.OPPORTUNITY_WON, webhooks.payload(opportunity), actor=actor)
    return opportunity


def _reason(code: Any, *, invalid: bool) -> LostReason:
    reason = LostReason.objects.filter(code=code, active=True).first() if code else None
    if reason is None or (invalid and not reason.applies_to_invalid):
        raise ValidationFailed({"reason": _("请选择有效的原因。")})
    return reason


@transaction.atomic
def opportunity_lose(
    *,
    actor: Any,
    opportunity_id: int,
    version: int | None,
    reason: str,
    note: str = "",
    invalid: bool = False,
) -> Opportunity:
    """Close as lost (输单) — or, with ``invalid``, as invalid (无效: never a real chance) —
    with a reason code and an optional note."""
    opportunity = opportunity_lock(actor, opportunity_id)
    check_version(opportunity, version)
    if opportunity.status != OpportunityStatus.OPEN:
        raise ValidationFailed({"status": _("只有进行中的商机可以关闭。")})
    lost_reason = _reason(reason, invalid=invalid)
    if len(note) > 500:
        raise ValidationFailed({"note": _("不能超过 500 个字符。")})
    before = audit.snapshot(opportunity)
    status = OpportunityStatus.INVALID if invalid else OpportunityStatus.LOST
    _close(opportunity, status, None if invalid else _closing_stage(opportunity, StageKind.LOST))
    opportunity.reason, opportunity.reason_note = lost_reason, note.strip()
    opportunity.version += 1
    opportunity.save()
    audit.audit_update(
        actor=actor, obj=opportunity, before=before, customer_id=opportunity.customer_id
    )
    _timeline(
        opportunity, actor,
        gettext_noop("商机 %(name)s 已标记为无效：%(reason)s") if invalid
        else gettext_noop("商机 %(name)s 输单：%(reason)s"),
        {"reason": lost_reason.label},
    )  # fmt: skip
    if not invalid:
        emit(webhooks.OPPORTUNITY_LOST, webhooks.payload(opportunity), actor=actor)
    return opportunity


# --- product lines -------------------------------------------------------------------------
# While an opportunity has product lines its amount is their sum: adding or removing a line
# sets it, and an edit that sets another amount is refused. Removing the last line leaves
# the amount as it was (the last sum), which the user may then edit freely.


def _open_for_lines(actor: Any, opportunity_id: int, version: int | None) -> Opportunity:
    opportunity = opportunity_lock(actor, opportunity_id)
    check_version(opportunity, version)
    if opportunity.status != OpportunityStatus.OPEN:
        raise ValidationFailed({"lines": _("已关闭的商机不能修改产品明细。")})
    return opportunity


def _amount_follows_lines(actor: Any, opportunity: Opportunity, before: dict[str, Any]) -> None:
    lines = list(opportunity.lines.all())
    if lines:
        total = sum((li.quantity * li.unit_price for li in lines), Decimal("0"))
        opportunity.amount = total.quantize(Decimal("0.01"))
        if opportunity.amount > MAX_AMOUNT:
            raise ValidationFailed({"lines": _("产品明细合计超过金额上限。")})
    opportunity.version += 1
    opportunity.save()
    audit.audit_update(
        actor=actor, obj=opportunity, before=before, customer_id=opportunity.customer_id
    )


@transaction.atomic
def opportunity_line_add(
    *, actor: Any, opportunity_id: int, version: int | None, line: Mapping[str, Any]
) -> OpportunityLine:
    """A product of the catalogue on the opportunity (its price unless ``unit_price`` is
    given); the amount becomes the sum of the lines."""
    opportunity = _open_for_lines(actor, opportunity_id, version)
    if opportunity.lines.count() >= MAX_LINES:
        raise ValidationFailed({"lines": _("最多 100 行产品。")})
    before = audit.snapshot(opportunity)
    built = _lines([line], prefixed=False)[0]
    built.opportunity = opportunity
    built.save()
    audit.audit_create(actor=actor, obj=built, customer_id=opportunity.customer_id)
    _amount_follows_lines(actor, opportunity, before)
    return built


@transaction.atomic
def opportunity_line_remove(
    *, actor: Any, opportunity_id: int, version: int | None, line_id: Any
) -> Opportunity:
    opportunity = _open_for_lines(actor, opportunity_id, version)
    line = opportunity.lines.filter(pk=line_id).first() if isinstance(line_id, int) else None
    if line is None:
        raise NotFound(_("产品明细不存在。"))
    before = audit.snapshot(opportunity)
    audit.audit_delete(actor=actor, obj=line, customer_id=opportunity.customer_id)
    line.delete()
    _amount_follows_lines(actor, opportunity, before)
    return opportunity


# --- activities (跟进记录) ---------------------------------------------------------------


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    customer_id: int | None = None,
    opportunity_id: int | None = None,
) -> Activity:
    """A follow-up on a customer, or on one of its opportunities (then the customer is the
    opportunity's)."""
    reject_unknown(data, ACTIVITY_FIELDS)
    opportunity = None
    if opportunity_id is not None:
        opportunity = opportunity_lock(actor, opportunity_id)
        customer_id = opportunity.customer_id
    elif customer_id is None:
        raise ValidationFailed({"customer_id": _("此字段必填。")})
    if opportunity is None:
        customer = customer_lock(actor, customer_id, for_communication=True)
        customer_id = customer.pk
    activity = Activity(customer_id=customer_id, opportunity=opportunity, actor=actor)
    apply_fields(activity, data)
    if activity.at is None:
        activity.at = timezone.now()
    if isinstance(activity.note, str):
        activity.note = activity.note.strip()
    full_clean(activity, exclude=["customer", "opportunity", "actor"])
    if activity.at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationFailed({"at": _("跟进时间不能在将来。")})
    activity.save()
    audit.audit_create(actor=actor, obj=activity, customer_id=customer_id)
    timeline_add(
        customer_id=customer_id,
        kind="activity",
        occurred_at=activity.at,
        title=TimelineText(
            gettext_noop("%(kind)s跟进：%(subject)s")
            if opportunity
            else gettext_noop("%(kind)s跟进"),
            {"kind": ChoiceLabel.of(activity, "kind"),
             **({"subject": opportunity.name} if opportunity else {})},
        ),
        body=activity.note,
        actor=actor,
        subject=activity,
    )  # fmt: skip
    return activity
