"""Sharing a customer with named users (团队成员)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, ValidationFailed
from guanxi.customers.models import CollaboratorAccess, Customer, CustomerCollaborator
from guanxi.customers.services.locks import customer_lock
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add


def _collaborator_user(actor: Any, customer: Customer, user_id: Any) -> User:
    user = (
        permissions.users_visible_to(actor, User.objects.all()).filter(pk=user_id).first()
        if isinstance(user_id, int) and not isinstance(user_id, bool)
        else None
    )
    if user is None:
        raise ValidationFailed({"user_id": _("用户不存在。")})
    if user.pk == customer.owner_id:
        raise ValidationFailed({"user_id": _("客户经理本人无需添加为团队成员。")})
    return user


@transaction.atomic
def customer_collaborator_add(
    *, actor: Any, customer_id: int, user_id: int, access: str = CollaboratorAccess.READ
) -> CustomerCollaborator:
    """Share a customer with a named user (团队成员), read-only or read-write. Whoever
    may change the customer may share it; the user then sees it (and with ``write``
    changes it) whatever their role's scope."""
    customer = customer_lock(actor, customer_id)
    if access not in CollaboratorAccess.values:
        raise ValidationFailed({"access": _("权限须为只读或可编辑。")})
    user = _collaborator_user(actor, customer, user_id)
    if CustomerCollaborator.objects.filter(customer=customer, user=user).exists():
        raise Conflict(_("该用户已是这位客户的团队成员。"), field="user_id")
    collaborator = CustomerCollaborator.objects.create(
        customer=customer, user=user, access=access, added_by=actor
    )
    audit.audit_create(actor=actor, obj=collaborator, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="collaborator",
        occurred_at=timezone.now(),
        title=TimelineText(
            gettext_noop("添加团队成员 %(user)s（%(access)s）"),
            {"user": str(user), "access": ChoiceLabel.of(collaborator, "access")},
        ),
        actor=actor,
        subject=collaborator,
    )
    return collaborator


@transaction.atomic
def customer_collaborator_remove(*, actor: Any, customer_id: int, user_id: int) -> None:
    """Stop sharing a customer with a user; 404 (on ``user_id``) if it was not shared."""
    customer = customer_lock(actor, customer_id)
    collaborator = (
        CustomerCollaborator.objects.select_for_update()
        .select_related("user")
        .filter(customer=customer, user_id=user_id)
        .first()
    )
    if collaborator is None:
        raise NotFound(_("该用户不是这位客户的团队成员。"), field="user_id")
    audit.audit_delete(actor=actor, obj=collaborator, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="collaborator",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("移除团队成员 %(user)s"), {"user": str(collaborator.user)}),
        actor=actor,
        subject=collaborator,
    )
    collaborator.delete()
