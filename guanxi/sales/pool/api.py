"""The pool REST API (``/api/v1/sales/pools/…``): the pools the actor may use, their
customers (contact details masked until claimed, when the pool says so) and history, claim,
assign, return and lock, and the pool's settings, rules and members for its admins."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.accounts import permissions
from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    page_out,
    sent_fields,
)
from guanxi.core.db.paging import paginate
from guanxi.sales.pool import selectors, services
from guanxi.sales.pool.schemas import (
    AssignIn,
    CustomerOwnerOut,
    LockIn,
    LockOut,
    MemberIn,
    MemberOut,
    PooledCustomerOut,
    PoolEventOut,
    PoolOut,
    PoolSettingsIn,
    ReturnIn,
    RuleIn,
    RuleOut,
    RulePatchIn,
)

router = StaffRouter(
    tags=["sales-pool"],
    allow=permissions.is_staff_actor,
    message=gettext_lazy("客户门户用户无权使用员工端 API。"),
)


def _pool_out(request: HttpRequest, pool_id: int) -> Any:
    return selectors.pools(actor=actor(request)).filter(pk=pool_id).first() or selectors.pool_get(
        actor=actor(request), pool_id=pool_id
    )


@router.get("", response=list[PoolOut])
def pool_list(request: HttpRequest) -> Any:
    """The pools the actor is a member or admin of (every pool, for an administrator)."""
    return list(selectors.pools(actor=actor(request)))


@router.get("/{pool_id}", response=PoolOut)
def pool_detail(request: HttpRequest, pool_id: RecordId) -> Any:
    selectors.pool_get(actor=actor(request), pool_id=pool_id)
    return _pool_out(request, pool_id)


@router.patch("/{pool_id}", response=PoolOut)
def pool_update(request: HttpRequest, pool_id: RecordId, payload: PoolSettingsIn) -> Any:
    """Change the pool's settings (its admins); 409 when ``version`` is stale."""
    data = sent_fields(payload)
    version = data.pop("version")
    team_ids = data.pop("team_ids", None)
    services.pool_update(actor=actor(request), pool_id=pool_id, data=data, version=version,
                         team_ids=team_ids)  # fmt: skip
    return _pool_out(request, pool_id)


@router.get("/{pool_id}/customers", response=PageOut[PooledCustomerOut])
def pool_customers(
    request: HttpRequest, pool_id: RecordId, page: Query[PageIn], q: str = ""
) -> dict[str, Any]:
    """The customers in the pool, most recently returned first; ``q`` searches names
    (characters, pinyin, initials)."""
    pool = selectors.pool_get(actor=actor(request), pool_id=pool_id)
    qs = selectors.pool_customers(actor=actor(request), pool=pool, q=q[: selectors.MAX_QUERY])
    result = paginate(qs, size=page.limit, offset=page.offset)
    result.items = selectors.as_seen(pool, list(result.items))
    return page_out(result, page)


@router.get("/{pool_id}/history", response=PageOut[PoolEventOut])
def pool_history(request: HttpRequest, pool_id: RecordId, page: Query[PageIn]) -> dict[str, Any]:
    pool = selectors.pool_get(actor=actor(request), pool_id=pool_id)
    result = paginate(selectors.pool_history(actor=actor(request), pool=pool),
                      size=page.limit, offset=page.offset)  # fmt: skip
    return page_out(result, page)


@router.post("/{pool_id}/customers/{customer_id}/claim", response=CustomerOwnerOut)
def pool_claim(request: HttpRequest, pool_id: RecordId, customer_id: RecordId) -> Any:
    """Take the customer (members): 409 when someone just claimed it, the daily limit or the
    holding cap is reached, or the actor lost it less than ``reclaim_after_days`` ago."""
    return services.pool_claim(actor=actor(request), pool_id=pool_id, customer_id=customer_id)


@router.post("/{pool_id}/customers/{customer_id}/assign", response=CustomerOwnerOut)
def pool_assign(
    request: HttpRequest, pool_id: RecordId, customer_id: RecordId, payload: AssignIn
) -> Any:
    """Give the customer to a member of the pool (the pool's admins)."""
    return services.pool_assign(actor=actor(request), pool_id=pool_id, customer_id=customer_id,
                                user_id=payload.user_id)  # fmt: skip


@router.post("/{pool_id}/return", response=CustomerOwnerOut)
def pool_return(request: HttpRequest, pool_id: RecordId, payload: ReturnIn) -> Any:
    """Give a customer the actor may change back to the pool; it loses its owner."""
    return services.pool_return(actor=actor(request), pool_id=pool_id,
                                customer_id=payload.customer_id, reason=payload.reason)  # fmt: skip


@router.post("/customers/{customer_id}/lock", response=LockOut)
def pool_lock(request: HttpRequest, customer_id: RecordId, payload: LockIn) -> Any:
    """锁定 (``locked: true``): the rules never return the customer (managers, admins)."""
    state = services.pool_customer_set_locked(actor=actor(request), customer_id=customer_id,
                                              locked=payload.locked)  # fmt: skip
    return {"customer_id": state.customer_id, "locked": state.locked, "pool_id": state.pool_id}


@router.get("/{pool_id}/rules", response=list[RuleOut])
def rule_list(request: HttpRequest, pool_id: RecordId) -> Any:
    pool = selectors.pool_get(actor=actor(request), pool_id=pool_id)
    return list(pool.rules.order_by("id"))


@router.post("/{pool_id}/rules", response={201: RuleOut})
def rule_create(request: HttpRequest, pool_id: RecordId, payload: RuleIn) -> Status[Any]:
    rule = services.pool_rule_create(
        actor=actor(request), pool_id=pool_id, data=payload.model_dump()
    )
    return Status(201, rule)


@router.patch("/{pool_id}/rules/{rule_id}", response=RuleOut)
def rule_update(request: HttpRequest, pool_id: RecordId, rule_id: RecordId,
                payload: RulePatchIn) -> Any:  # fmt: skip
    """Change a rule (the pool's admins); 409 when ``version`` is stale."""
    data = sent_fields(payload)
    version = data.pop("version")
    return services.pool_rule_update(actor=actor(request), rule_id=rule_id, data=data,
                                     version=version, pool_id=pool_id)  # fmt: skip


@router.delete("/{pool_id}/rules/{rule_id}", response={204: None})
def rule_delete(request: HttpRequest, pool_id: RecordId, rule_id: RecordId) -> Status[None]:
    services.pool_rule_delete(actor=actor(request), rule_id=rule_id, pool_id=pool_id)
    return Status(204, None)


@router.get("/{pool_id}/members", response=list[MemberOut])
def member_list(request: HttpRequest, pool_id: RecordId) -> Any:
    """Members and admins of the pool (its admins may read them)."""
    pool = selectors.pool_get(actor=actor(request), pool_id=pool_id)
    return list(selectors.pool_members(actor=actor(request), pool=pool))


@router.post("/{pool_id}/members", response={200: MemberOut, 201: MemberOut})
def member_add(request: HttpRequest, pool_id: RecordId, payload: MemberIn) -> Status[Any]:
    """Add a member, or change whether a member is an admin (200 then, 201 when added)."""
    pool = selectors.pool_get(actor=actor(request), pool_id=pool_id)
    was = pool.members.filter(user_id=payload.user_id).exists()
    member = services.pool_member_set(
        actor=actor(request), pool_id=pool_id, user_id=payload.user_id, is_admin=payload.is_admin
    )
    return Status(200 if was else 201, member)


@router.delete("/{pool_id}/members/{user_id}", response={204: None})
def member_remove(request: HttpRequest, pool_id: RecordId, user_id: RecordId) -> Status[None]:
    services.pool_member_remove(actor=actor(request), pool_id=pool_id, user_id=user_id)
    return Status(204, None)
