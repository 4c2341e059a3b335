"""Writes of the customer record itself: create, edit, the entry check (查重), the move
to the recycle bin, and following the owner's department."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditAction
from guanxi.core.writes import (
    apply_fields,
    check_version,
    collect_errors,
    full_clean,
    reject_unknown,
)
from guanxi.customers import webhooks as customer_webhooks
from guanxi.customers.conventions import apply_conventions
from guanxi.customers.models import RECYCLE_BIN_DAYS, Customer
from guanxi.customers.services.custom_fields import validate_custom_fields
from guanxi.customers.services.keys import refresh_customer_keys
from guanxi.customers.services.locks import customer_lock
from guanxi.customers.services.tags import resolve_tags
from guanxi.customers.timeline import FieldLabels, TimelineText, timeline_add
from guanxi.webhooks.services import emit

CUSTOMER_FIELDS = frozenset(
    {
        "kind", "name", "industry", "size", "province", "city", "district", "address",
        "source", "status", "since", "phone", "email", "website", "notes", "custom_fields",
        "credit_code",
    }
)  # fmt: skip


def _resolve_owner(actor: Any, owner_id: int | None) -> User | None:
    """The new account manager, who must be one the actor may assign customers to (a
    manager: within their department); anyone else reads as a missing user."""
    if owner_id is None:
        return None
    owner = permissions.users_visible_to(actor, User.objects.all()).filter(pk=owner_id).first()
    if owner is None:
        raise ValidationFailed({"owner_id": _("用户不存在。")})
    if not permissions.can_assign_owner_to(
        actor, owner_id=owner.pk, team_id=owner.team_id, owner_role=owner.role
    ):
        raise PermissionDenied(
            _("不能把客户分配给 %(user)s：只能分配给你的数据范围内的客户经理。")
            % {"user": str(owner)},
            field="owner_id",
        )
    return owner


DUPLICATE_NOTE_LENGTH = 500


def _confirm_not_duplicate(
    actor: Any, customer: Customer, reason: str | None, *, exclude_id: int | None = None
) -> None:
    """The entry check (查重) before a write: likely duplicates in the actor's scope stop
    it unless the user gives a reason, which is kept on the customer (audited, so shown in
    its history) — an exact copy is never saved silently. No likely duplicate: nothing
    recorded, whatever was sent."""
    from guanxi.customers.selectors import likely_duplicates

    matches = likely_duplicates(
        actor=actor,
        name=customer.name,
        phone=customer.phone,
        email=customer.email,
        exclude_id=exclude_id,
    )
    if not matches:
        return
    reason = (reason or "").strip()
    if len(reason) > DUPLICATE_NOTE_LENGTH:
        message = _("原因不能超过 %(max)s 个字符。") % {"max": DUPLICATE_NOTE_LENGTH}
        raise ValidationFailed({"duplicate_reason": message})
    if not reason:
        names = "、".join(
            _("“%(name)s”（编号 %(id)s）") % {"name": m.name, "id": m.id} for m in matches
        )
        raise ValidationFailed(
            {
                "duplicate_reason": _(
                    "可能与已有客户重复：%(names)s。请先核对；确认不是同一客户时，请填写仍要保存的原因。"
                )
                % {"names": names}
            }
        )
    customer.duplicate_note = reason


# --- customers -------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    owner_id: int | None = None,
    tags: Iterable[str] | None = None,
    duplicate_reason: str | None = None,
) -> Customer:
    """A new customer; one that looks like a customer the actor can see (same name key,
    phone or e-mail) needs ``duplicate_reason`` (see ``_confirm_not_duplicate``)."""
    if not permissions.can_create_customer(actor):
        raise PermissionDenied(_("你没有新建客户的权限。"))
    reject_unknown(data, CUSTOMER_FIELDS)
    owner = actor
    if owner_id is not None and owner_id != actor.pk:
        if not permissions.can_assign_owner(actor):
            raise PermissionDenied(_("只有经理或管理员可以指定客户经理。"), field="owner_id")
        owner = _resolve_owner(actor, owner_id)
    customer = Customer(owner=owner, team_id=owner.team_id if owner else None, created_by=actor)
    apply_fields(customer, data)
    if customer.since is None:
        customer.since = timezone.localdate()

    def custom_fields() -> None:
        customer.custom_fields = validate_custom_fields(data.get("custom_fields"))

    # Every bad field at once: the conventions (credit code, region), the custom fields
    # and the model's own checks are all run before one error answers.
    collect_errors(
        custom_fields,
        lambda: apply_conventions(customer, data.keys()),
        lambda: full_clean(customer, exclude=["owner", "team", "created_by"]),
        lambda: refresh_customer_keys(customer),
    )
    _confirm_not_duplicate(actor, customer, duplicate_reason)
    customer.save()
    tag_objs = resolve_tags(actor, tags)
    if tag_objs:
        customer.tags.set(tag_objs)
    audit.audit_create(
        actor=actor,
        obj=customer,
        customer_id=customer.pk,
    )
    if tag_objs:
        audit.record(
            actor=actor,
            action="update",
            obj=customer,
            changes={"tags": [[], [t.name for t in tag_objs]]},
            customer_id=customer.pk,
        )
    timeline_add(
        customer_id=customer.pk,
        kind="customer",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("新建客户 %(name)s"), {"name": customer.name}),
        body=customer.duplicate_note,
        actor=actor,
        subject=customer,
    )
    emit(customer_webhooks.CREATED, customer_webhooks.created_payload(customer), actor=actor)
    return customer


@transaction.atomic
def customer_update(
    *,
    actor: Any,
    customer_id: int,
    data: Mapping[str, Any],
    version: int,
    owner_id: int | None = None,
    tags: Iterable[str] | None = None,
    duplicate_reason: str | None = None,
) -> Customer:
    """An edit; one that changes the name, phone or e-mail into those of another customer
    the actor can see needs ``duplicate_reason`` (an old duplicate does not block edits of
    other fields)."""
    customer = customer_lock(actor, customer_id)
    check_version(customer, version)
    reject_unknown(data, CUSTOMER_FIELDS)
    before = audit.snapshot(customer)
    before_tags = sorted(customer.tags.values_list("name", flat=True))
    apply_fields(customer, data)
    # Only what this edit changes: an old free-text region stays until someone edits it.
    changed = [k for k in data if before.get(k) != getattr(customer, k, None)]

    def custom_fields() -> None:
        if "custom_fields" in data:
            customer.custom_fields = validate_custom_fields(data["custom_fields"])

    if owner_id is not None and owner_id != customer.owner_id:
        if not permissions.can_assign_owner(actor):
            raise PermissionDenied(_("只有经理或管理员可以更换客户经理。"), field="owner_id")
        new_owner = _resolve_owner(actor, owner_id)
        customer.owner = new_owner
        customer.team_id = new_owner.team_id if new_owner else None
    collect_errors(
        custom_fields,
        lambda: apply_conventions(customer, changed),
        lambda: full_clean(customer, exclude=["owner", "team", "created_by"]),
        lambda: refresh_customer_keys(customer),
    )
    if any(before.get(f) != getattr(customer, f) for f in ("name", "phone", "email")):
        _confirm_not_duplicate(actor, customer, duplicate_reason, exclude_id=customer.pk)
    extra: dict[str, list[Any]] = {}
    if tags is not None:
        tag_objs = resolve_tags(actor, tags)
        after_tags = sorted(t.name for t in tag_objs)
        if after_tags != before_tags:
            customer.tags.set(tag_objs)
            extra["tags"] = [before_tags, after_tags]
    changes = audit.diff(before, audit.snapshot(customer, before.keys()))
    changes.update(extra)
    if not changes:
        return customer
    customer.version += 1
    customer.save()
    audit.audit_update(
        actor=actor, obj=customer, before=before, customer_id=customer.pk, extra=extra
    )
    timeline_add(
        customer_id=customer.pk,
        kind="change",
        occurred_at=timezone.now(),
        title=TimelineText(
            gettext_noop("修改了 %(fields)s"), {"fields": FieldLabels.of(Customer, changes)}
        ),
        actor=actor,
        subject=customer,
        data={"changes": changes},
    )
    emit(
        customer_webhooks.UPDATED,
        customer_webhooks.updated_payload(customer, changes),
        actor=actor,
    )
    return customer


@transaction.atomic
def customer_delete(*, actor: Any, customer_id: int, version: int) -> None:
    """Move a customer to the recycle bin (回收站): from then on it is missing from every
    list, search, API answer, export and 360 page (``Customer.objects`` leaves it out);
    whoever may change it can restore it for ``RECYCLE_BIN_DAYS`` days, after which
    ``customers_purge_expired`` removes it. A customer with orders is still refused."""
    customer = customer_lock(actor, customer_id)
    check_version(customer, version)
    if customer.orders.exists():
        raise Conflict(_("该客户有订单，不能删除；可将状态改为“流失”。"), field="orders")
    before = audit.snapshot(customer, ["deleted_at", "deleted_by_id"])
    customer.deleted_at = timezone.now()
    customer.deleted_by = actor if isinstance(actor, User) else None
    customer.version += 1
    customer.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    # An update of the row (删除时间 set, old → new): the "delete" entry is the purge's.
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
        occurred_at=customer.deleted_at,
        title=TimelineText(
            gettext_noop("移入回收站（%(days)s 天内可恢复）"), {"days": RECYCLE_BIN_DAYS}
        ),
        actor=actor,
        subject=customer,
    )


def customers_follow_owner_team(
    *,
    actor: Any,
    user_id: int,
    old_team_id: int | None,
    new_team_id: int | None,
    chunk_size: int = 2000,
) -> int:
    """Move the department of every customer owned by ``user_id`` to the owner's new one
    (the department scope relies on a customer's department being its owner's), with an
    audit entry per customer. Registered with ``accounts.hooks`` and called inside the
    transaction that changed the user; bulk, chunk by chunk by primary key. Returns the
    number of customers moved. No timeline entry: the customer itself did not change."""
    moved = last_id = 0
    while True:
        rows = list(
            Customer.objects.filter(owner_id=user_id, pk__gt=last_id)
            .exclude(Q(team__isnull=True) if new_team_id is None else Q(team_id=new_team_id))
            .order_by("pk")
            .values_list("pk", "name", "team_id")[:chunk_size]
        )
        if not rows:
            return moved
        ids = [pk for pk, _name, _team in rows]
        Customer.objects.filter(pk__in=ids).update(team_id=new_team_id)
        audit.audit_bulk_update(
            actor=actor,
            model=Customer,
            rows=[(pk, name, pk, {"team_id": [team, new_team_id]}) for pk, name, team in rows],
        )
        moved += len(rows)
        last_id = ids[-1]
