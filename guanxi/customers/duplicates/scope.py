"""Which duplicate pairs an actor reviews: one rule for the queue (selectors) and the
decisions (services)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from guanxi.accounts import permissions
from guanxi.customers.duplicates.models import OWNER_REVIEW, CandidateStatus, DuplicateCandidate
from guanxi.customers.models import Customer


def reviewable(actor: Any, qs: QuerySet[DuplicateCandidate]) -> QuerySet[DuplicateCandidate]:
    """The pairs ``actor`` reviews: those whose customers he may both see, and those an
    import routed to whoever may see their existing customer (``models.OWNER_REVIEW``)."""
    a = permissions.customer_filter(actor, "customer_a__")
    b = permissions.customer_filter(actor, "customer_b__")
    routed = Q(reason_mask__gte=OWNER_REVIEW)
    if a is None:
        return qs if b is None else qs.filter(b | routed)
    return qs.filter(a & (routed if b is None else b | routed))


def routed_to(actor: Any, existing: Customer | None, new_id: int) -> bool:
    """Whether an import routed the open pair (``existing``, ``new_id``) to ``actor``: the
    uploader's row matched ``existing``, a customer outside the uploader's scope, so the
    import made a new customer and left the decision to whoever may change ``existing``
    (``models.OWNER_REVIEW``). That person may dismiss the pair or merge the new customer
    into theirs, though the new one is not in their scope."""
    if existing is None or existing.pk >= new_id:  # ``customer_a`` is the older one
        return False
    routed = DuplicateCandidate.objects.filter(
        customer_a_id=existing.pk,
        customer_b_id=new_id,
        status=CandidateStatus.OPEN,
        reason_mask__gte=OWNER_REVIEW,
    ).exists()
    return routed and permissions.can_change_customer(actor, existing)


def may_decide(actor: Any, candidate: DuplicateCandidate) -> bool:
    """Whether ``actor`` may dismiss or merge the pair: change rights on both customers, or
    on the existing one of a pair an import routed to its side."""
    if not permissions.can_change_customer(actor, candidate.customer_a):
        return False
    return candidate.reason_mask >= OWNER_REVIEW or permissions.can_change_customer(
        actor, candidate.customer_b
    )
