"""Writes of the public pool: claim, assign, return, lock, and the pool's settings (the pool,
its members, its rules). Each runs in one transaction, locks what it changes, audits old →
new and puts what happened to a customer on its timeline; the recycle run is in ``rules``.

A claim locks the pool state row of the customer (``select_for_update``) before reading it:
of any number of simultaneous claims of one customer exactly one finds it still pooled. It
locks the claimer's user row first, so one person's claims run one after another and the
daily limit and holding cap cannot be outrun by parallel requests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import Team, User
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.customers.models import Customer
from guanxi.customers.services import customer_lock
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.sales.models import Opportunity, OpportunityStatus
from guanxi.sales.models_pool import (
    MAX_RULE_DAYS,
    Pool,
    PoolCustomer,
    PoolEvent,
    PoolEventKind,
    PoolMember,
    PoolRule,
)
from guanxi.sales.pool import access
from guanxi.sales.pool.rules import TIMELINE_KIND

POOL_FIELDS = frozenset(
    {"name", "description", "mask_contacts", "daily_claim_limit", "reclaim_after_days",
     "hold_cap", "cap_counts_won", "active", "order"}
)  # fmt: skip
RULE_FIELDS = frozenset(
    {"kind", "days", "value_class", "exempt_open_opportunity", "exempt_deal", "remind_days",
     "active"}
)  # fmt: skip
REASON_LENGTH = 200
MAX_TEAMS = 200


# --- helpers ---------------------------------------------------------------------------------


def _local_midnight(now: dt.datetime) -> dt.datetime:
    day = timezone.localtime(now).date()
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _user_lock(user_id: int) -> User:
    return User.objects.select_for_update().get(pk=user_id)


def _state_lock(pool: Pool, customer_id: Any) -> tuple[PoolCustomer, Customer]:
    """The pooled customer's state and row, locked: 404 for a customer that never was in
    this pool, 409 for one that was but has just been claimed or assigned."""
    try:
        state = PoolCustomer.objects.select_for_update().get(customer_id=customer_id)
        customer = Customer.objects.select_for_update().get(pk=customer_id)
    except (PoolCustomer.DoesNotExist, Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("公海中没有这个客户。"), field="customer_id") from None
    if state.pool_id != pool.pk:
        if (
            state.pool_id is None
            and PoolEvent.objects.filter(pool=pool, customer_id=customer.pk).exists()
        ):
            raise Conflict(_("该客户刚被他人领取。"), code="already_claimed")
        raise NotFound(_("公海中没有这个客户。"), field="customer_id")
    return state, customer


def held_count(user: User, pool: Pool) -> int:
    """How many customers ``user`` holds, as the pool's cap counts them."""
    held = Customer.objects.filter(owner_id=user.pk)
    if not pool.cap_counts_won:
        won = Opportunity.objects.filter(customer_id=OuterRef("pk"), status=OpportunityStatus.WON)
        held = held.exclude(Exists(won))
    return held.count()


def _check_cap(user: User, pool: Pool) -> None:
    if pool.hold_cap and held_count(user, pool) >= pool.hold_cap:
        raise Conflict(
            _("已达持有上限：每人最多持有 %(cap)s 个客户。") % {"cap": pool.hold_cap},
            code="hold_cap",
        )


def _take(
    *, actor: Any, pool: Pool, state: PoolCustomer, customer: Customer, owner: User, kind: str,
    now: dt.datetime,
) -> PoolEvent:  # fmt: skip
    before = audit.snapshot(customer, ["owner_id", "team_id"])
    customer.owner = owner
    customer.team_id = owner.team_id
    customer.version += 1
    customer.save(update_fields=["owner", "team", "version", "updated_at"])
    state.pool = None
    state.owner_since = now
    state.save(update_fields=["pool", "owner_since", "updated_at"])
    event = PoolEvent.objects.create(
        pool=pool, customer=customer, kind=kind, at=now, actor=actor, owner=owner,
        previous_owner=state.previous_owner,
    )  # fmt: skip
    audit.audit_update(actor=actor, obj=customer, before=before, customer_id=customer.pk)
    if kind == PoolEventKind.CLAIM:
        title = TimelineText(gettext_noop("从公海“%(pool)s”领取"), {"pool": pool.name})
    else:
        title = TimelineText(
            gettext_noop("由公海“%(pool)s”分配给 %(owner)s"),
            {"pool": pool.name, "owner": str(owner)},
        )
    timeline_add(
        customer_id=customer.pk, kind=TIMELINE_KIND, occurred_at=now, title=title, actor=actor,
        subject=event,
    )  # fmt: skip
    return event


# --- claim, assign, return, lock ----------------------------------------------------------------


@transaction.atomic
def pool_claim(*, actor: Any, pool_id: Any, customer_id: Any) -> Customer:
    """A member takes a pooled customer: within the pool's daily limit and holding cap, and
    not back within ``reclaim_after_days`` of having lost it."""
    pool = access.pool_for(actor, pool_id)
    if not pool.active:
        raise Conflict(_("该公海池已停用。"), code="pool_inactive")
    if not access.is_member(actor, pool):
        raise PermissionDenied(_("只有公海池成员可以领取客户。"))
    if not permissions.holds_customers(actor.role):
        raise PermissionDenied(_("你的角色不能持有客户。"))
    me = _user_lock(actor.pk)
    state, customer = _state_lock(pool, customer_id)
    now = timezone.now()
    if pool.daily_claim_limit:
        today = PoolEvent.objects.filter(
            pool=pool, owner=me, kind=PoolEventKind.CLAIM, at__gte=_local_midnight(now)
        ).count()
        if today >= pool.daily_claim_limit:
            raise Conflict(
                _("今天已领取 %(n)s 个客户，达到每日上限。") % {"n": today}, code="claim_limit"
            )
    if pool.reclaim_after_days:
        since = now - dt.timedelta(days=pool.reclaim_after_days)
        lost = PoolEvent.objects.filter(
            customer_id=customer.pk, previous_owner=me, at__gte=since,
            kind__in=[PoolEventKind.RETURN, PoolEventKind.RECYCLE],
        )  # fmt: skip
        if lost.exists():
            raise Conflict(
                _("你是该客户的原负责人，退回后 %(days)s 天内不能再次领取。")
                % {"days": pool.reclaim_after_days},
                code="reclaim_blocked",
            )
    _check_cap(me, pool)
    _take(actor=actor, pool=pool, state=state, customer=customer, owner=me,
          kind=PoolEventKind.CLAIM, now=now)  # fmt: skip
    return customer


@transaction.atomic
def pool_assign(*, actor: Any, pool_id: Any, customer_id: Any, user_id: Any) -> Customer:
    """A pool admin gives a pooled customer to a member (the daily limit and the reclaim
    wait are the members' own rules; the holding cap applies)."""
    pool = access.pool_for(actor, pool_id)
    if not access.is_admin(actor, pool):
        raise PermissionDenied(_("只有公海池管理员可以分配客户。"))
    try:
        member = PoolMember.objects.select_related("user").get(pool=pool, user_id=user_id)
    except (PoolMember.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed({"user_id": _("不是该公海池的成员。")}) from None
    owner = member.user
    if not owner.is_active or not permissions.holds_customers(owner.role):
        raise ValidationFailed({"user_id": _("该用户的角色不能持有客户。")})
    owner = _user_lock(owner.pk)
    state, customer = _state_lock(pool, customer_id)
    _check_cap(owner, pool)
    _take(actor=actor, pool=pool, state=state, customer=customer, owner=owner,
          kind=PoolEventKind.ASSIGN, now=timezone.now())  # fmt: skip
    return customer


@transaction.atomic
def pool_return(*, actor: Any, pool_id: Any, customer_id: Any, reason: str = "") -> Customer:
    """Whoever may change a customer gives it back to a pool they belong to (or any pool,
    for an administrator); it leaves its owner and department."""
    reason = (reason or "").strip()
    if len(reason) > REASON_LENGTH:
        raise ValidationFailed({"reason": _("不能超过 200 个字符。")})
    pool = access.pool_for(actor, pool_id)
    if not pool.active:
        raise Conflict(_("该公海池已停用。"), code="pool_inactive")
    customer = customer_lock(actor, customer_id)
    if customer.owner_id is None:
        raise Conflict(_("该客户没有负责人，无需退回。"), code="not_owned")
    now = timezone.now()
    before = audit.snapshot(customer, ["owner_id", "team_id"])
    previous = customer.owner_id
    state, _created = PoolCustomer.objects.select_for_update().get_or_create(customer=customer)
    state.pool = pool
    state.previous_owner_id = previous
    state.returned_at = now
    state.owner_since = None
    state.save()
    customer.owner = None
    customer.team = None
    customer.version += 1
    customer.save(update_fields=["owner", "team", "version", "updated_at"])
    event = PoolEvent.objects.create(
        pool=pool, customer=customer, kind=PoolEventKind.RETURN, at=now, actor=actor,
        previous_owner_id=previous, reason=reason,
    )  # fmt: skip
    audit.audit_update(actor=actor, obj=customer, before=before, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk, kind=TIMELINE_KIND, occurred_at=now,
        title=TimelineText(gettext_noop("退回公海“%(pool)s”"), {"pool": pool.name}),
        body=reason, actor=actor, subject=event,
    )  # fmt: skip
    return customer


@transaction.atomic
def pool_customer_set_locked(*, actor: Any, customer_id: Any, locked: bool) -> PoolCustomer:
    """锁定: a locked customer is never returned by a rule (a manager's or admin's call)."""
    if not isinstance(locked, bool):
        raise ValidationFailed({"locked": _("必须是 true 或 false。")})
    customer = customer_lock(actor, customer_id)
    if not permissions.can_assign_owner(actor):
        raise PermissionDenied(_("只有经理或管理员可以锁定客户。"), field="locked")
    state, created = PoolCustomer.objects.select_for_update().get_or_create(customer=customer)
    if state.locked == locked and not created:
        return state
    before = audit.snapshot(state, ["locked"])
    state.locked = locked
    state.save(update_fields=["locked", "updated_at"])
    audit.record(
        actor=actor, action="update", obj=state, changes=audit.diff(before, {"locked": locked}),
        customer_id=customer.pk,
    )  # fmt: skip
    title = gettext_noop("锁定客户：不会自动退回公海") if locked else gettext_noop("解除锁定")
    timeline_add(
        customer_id=customer.pk, kind=TIMELINE_KIND, occurred_at=timezone.now(),
        title=TimelineText(title), actor=actor, subject=state,
    )  # fmt: skip
    return state


# --- the pool's settings --------------------------------------------------------------------------


def _manage(actor: Any, pool_id: Any) -> Pool:
    pool = access.pool_for(actor, pool_id)
    if not access.is_admin(actor, pool):
        raise PermissionDenied(_("只有公海池管理员可以修改设置。"))
    return Pool.objects.select_for_update().get(pk=pool.pk)


def _teams(team_ids: Iterable[Any] | None) -> list[Team] | None:
    if team_ids is None:
        return None
    ids = list(dict.fromkeys(team_ids))
    if len(ids) > MAX_TEAMS or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValidationFailed({"team_ids": _("部门无效。")})
    teams = list(Team.objects.filter(pk__in=ids))
    if len(teams) != len(ids):
        raise ValidationFailed({"team_ids": _("部门不存在。")})
    return teams


def _save_pool(pool: Pool) -> None:
    full_clean(pool)
    if Pool.objects.filter(name=pool.name).exclude(pk=pool.pk).exists():
        raise ValidationFailed({"name": _("已有同名的公海池。")})
    try:
        with transaction.atomic():
            pool.save()
    except IntegrityError:
        raise ValidationFailed({"name": _("已有同名的公海池。")}) from None


@transaction.atomic
def pool_create(*, actor: Any, data: Mapping[str, Any], team_ids: Iterable[Any] = ()) -> Pool:
    if not access.runs_every_pool(actor):
        raise PermissionDenied(_("只有管理员可以新建公海池。"))
    reject_unknown(data, POOL_FIELDS)
    pool = Pool()
    apply_fields(pool, data)
    teams = _teams(team_ids) or []
    _save_pool(pool)
    pool.teams.set(teams)
    audit.audit_create(actor=actor, obj=pool)
    return pool


@transaction.atomic
def pool_update(
    *, actor: Any, pool_id: Any, data: Mapping[str, Any], version: int | None,
    team_ids: Iterable[Any] | None = None,
) -> Pool:  # fmt: skip
    pool = _manage(actor, pool_id)
    check_version(pool, version)
    reject_unknown(data, POOL_FIELDS)
    before = audit.snapshot(pool)
    before_teams = sorted(pool.teams.values_list("id", flat=True))
    apply_fields(pool, data)
    teams = _teams(team_ids)
    extra: dict[str, list[Any]] = {}
    if teams is not None and sorted(t.pk for t in teams) != before_teams:
        extra["teams"] = [before_teams, sorted(t.pk for t in teams)]
    if audit.diff(before, audit.snapshot(pool, before.keys())) or extra:
        pool.version += 1
        _save_pool(pool)
        if teams is not None:
            pool.teams.set(teams)
        audit.audit_update(actor=actor, obj=pool, before=before, extra=extra)
    return pool


@transaction.atomic
def pool_member_set(*, actor: Any, pool_id: Any, user_id: Any, is_admin: bool) -> PoolMember:
    """Add a member (or change whether they are an admin)."""
    pool = _manage(actor, pool_id)
    if not isinstance(is_admin, bool):
        raise ValidationFailed({"is_admin": _("必须是 true 或 false。")})
    user = permissions.users_visible_to(actor, User.objects.all()).filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed({"user_id": _("用户不存在。")})
    member, created = PoolMember.objects.get_or_create(
        pool=pool, user=user, defaults={"is_admin": is_admin}
    )
    if created:
        audit.audit_create(actor=actor, obj=member)
    elif member.is_admin != is_admin:
        before = audit.snapshot(member, ["is_admin"])
        member.is_admin = is_admin
        member.save(update_fields=["is_admin"])
        audit.audit_update(actor=actor, obj=member, before=before)
    access.forget(user)
    return member


@transaction.atomic
def pool_member_remove(*, actor: Any, pool_id: Any, user_id: Any) -> None:
    """Take a member off the pool (its admins); 404 for someone who is not a member."""
    pool = _manage(actor, pool_id)
    member = PoolMember.objects.filter(pool=pool, user_id=user_id).first()
    if member is None:
        raise NotFound(_("不是该公海池的成员。"), field="user_id")
    audit.audit_delete(actor=actor, obj=member)
    member.delete()


def _clean_rule(rule: PoolRule) -> None:
    errors: dict[str, str] = {}
    days = rule.days
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_RULE_DAYS:
        errors["days"] = _("必须是 1 到 3650 之间的整数。")
    remind = rule.remind_days
    if not isinstance(remind, int) or isinstance(remind, bool) or remind < 0:
        errors["remind_days"] = _("必须是不小于 0 的整数。")
    elif not errors and remind >= days:
        errors["remind_days"] = _("必须小于退回天数。")
    if errors:
        raise ValidationFailed(errors)
    full_clean(rule, exclude=["pool"])


@transaction.atomic
def pool_rule_create(*, actor: Any, pool_id: Any, data: Mapping[str, Any]) -> PoolRule:
    pool = _manage(actor, pool_id)
    reject_unknown(data, RULE_FIELDS)
    rule = PoolRule(pool=pool)
    apply_fields(rule, data)
    _clean_rule(rule)
    rule.save()
    audit.audit_create(actor=actor, obj=rule)
    return rule


def _rule_lock(actor: Any, rule_id: Any, in_pool: Any = None) -> PoolRule:
    """The rule, locked, for an admin of its pool; 404 otherwise, and when ``in_pool`` is
    given and the rule belongs to another pool."""
    try:
        pool_id = PoolRule.objects.values_list("pool_id", flat=True).get(pk=rule_id)
    except (PoolRule.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("规则不存在。"), field="rule_id") from None
    if in_pool is not None and pool_id != in_pool:
        raise NotFound(_("规则不存在。"), field="rule_id")
    try:
        _manage(actor, pool_id)
    except NotFound:
        raise NotFound(_("规则不存在。"), field="rule_id") from None
    return PoolRule.objects.select_for_update().get(pk=rule_id)


@transaction.atomic
def pool_rule_update(
    *, actor: Any, rule_id: Any, data: Mapping[str, Any], version: int | None,
    pool_id: Any = None,
) -> PoolRule:  # fmt: skip
    """Change a rule (its pool's admins): 409 when ``version`` is stale; audited old → new.
    ``pool_id``: the pool the caller addressed it under (another pool's rule is 404)."""
    rule = _rule_lock(actor, rule_id, pool_id)
    check_version(rule, version)
    reject_unknown(data, RULE_FIELDS)
    before = audit.snapshot(rule)
    apply_fields(rule, data)
    _clean_rule(rule)
    if audit.diff(before, audit.snapshot(rule, before.keys())):
        rule.version += 1
        rule.save()
        audit.audit_update(actor=actor, obj=rule, before=before)
    return rule


@transaction.atomic
def pool_rule_delete(*, actor: Any, rule_id: Any, pool_id: Any = None) -> None:
    rule = _rule_lock(actor, rule_id, pool_id)
    audit.audit_delete(actor=actor, obj=rule)
    rule.delete()
