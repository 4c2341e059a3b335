"""Reads of the service desk, every one scoped by the actor.

Who works the desk (``can_serve``): the roles that hold customers (admin, manager, account
manager) and the service agents, who log on every customer they may read. A ticket is
visible to such a user when its customer is in their read scope or it is assigned to them;
a ticket of no known customer (the "unknown" queue) only to those who read every customer.
A visible ticket may be worked (replies, notes, transitions) by its assignee and by those
who may log communications on its customer (``accounts.permissions``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import Team, User
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Customer
from guanxi.orders import selectors as order_selectors
from guanxi.orders.models import Order, OrderLine, OrderStatus, Product
from guanxi.service.models import (
    OPEN_STATUSES,
    CannedReply,
    Complaint,
    FollowUp,
    FollowUpReason,
    FollowUpStatus,
    Mailbox,
    MessageKind,
    RootCause,
    SavedView,
    SlaPolicy,
    Survey,
    SurveyKind,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)

_NOTHING = Q(pk__in=[])
MAX_QUERY = 100
QUEUES = ("mine", "team", "unassigned", "breaching", "unknown", "all")
# "Breaching soon": a running clock whose warning time has come.
LIST_RELATED = ("customer", "assignee", "team")


def can_serve(actor: Any) -> bool:
    """Whether the actor works the service desk (menu entry, pages, API)."""
    return permissions.can_create_customer(actor) or permissions.can_log_communications_on_read(
        actor
    )


def ticket_filter(actor: Any) -> Q | None:
    """A Q selecting the tickets ``actor`` may read; ``None``: no restriction."""
    if not can_serve(actor):
        return _NOTHING
    customers = permissions.customer_filter(actor, "customer__")
    if customers is None:
        return None
    return (Q(customer__isnull=False) & customers) | Q(assignee_id=actor.pk)


def scoped_tickets(*, actor: Any) -> QuerySet[Ticket]:
    q = ticket_filter(actor)
    qs = Ticket.objects.all()
    return qs if q is None else qs.filter(q)


def can_work(actor: Any, ticket: Ticket) -> bool:
    """Whether ``actor`` (who can read ``ticket``) may reply, note and move it."""
    if not can_serve(actor):
        return False
    if actor.is_superuser or ticket.assignee_id == actor.pk:
        return True
    if ticket.customer_id is None:
        return permissions.customer_filter(actor) is None
    return permissions.can_log_communication(actor, ticket.customer)


def ticket_get(*, actor: Any, ticket_id: Any) -> Ticket:
    ticket = (
        scoped_tickets(actor=actor)
        .select_related("customer", "contact", "assignee", "team", "sla_policy")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(_("工单不存在。"))
    return ticket


def messages_of(*, ticket: Ticket) -> list[TicketMessage]:
    """The messages of a ticket the caller has read through ``ticket_get``."""
    return list(ticket.messages.select_related("author").order_by("created_at", "id"))


def thread_of(*, ticket: Ticket) -> list[str]:
    """The Message-IDs of the ticket's mail, oldest first (for References)."""
    ids = [ticket.message_id] if ticket.message_id else []
    ids += [
        m
        for m in ticket.messages.exclude(kind=MessageKind.NOTE)
        .exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
        if m not in ids
    ]
    return ids


@dataclass(frozen=True)
class TicketFilters:
    """The queue filters the pages and the API share (validated from text)."""

    queue: str = "all"
    q: str = ""
    status: str = ""
    priority: str = ""
    category: str = ""
    channel: str = ""
    customer: int | None = None

    def as_query(self) -> dict[str, str]:
        out = {"queue": self.queue, "q": self.q, "status": self.status,
               "priority": self.priority, "category": self.category, "channel": self.channel,
               "customer": self.customer}  # fmt: skip
        return {k: str(v) for k, v in out.items() if v not in (None, "")}


def _choice(
    raw: Mapping[str, Any], name: str, values: Collection[str], errors: dict[str, str]
) -> str:
    value = str(raw.get(name) or "")
    if value and value not in values:
        errors[name] = _("无效的选项。")
        return ""
    return value


def validate_filters(raw: Mapping[str, Any]) -> TicketFilters:
    """Filters from a query string; bad values are a ``ValidationFailed`` naming them."""
    errors: dict[str, str] = {}
    q = str(raw.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        errors["q"] = _("不能超过 100 个字符。")
    customer: int | None = None
    if raw.get("customer") not in (None, ""):
        try:
            customer = int(str(raw.get("customer")))
        except ValueError:
            customer = None
        if customer is None or not 1 <= customer <= 2**63 - 1:
            errors["customer"] = _("必须是整数。")
            customer = None
    filters = TicketFilters(
        queue=_choice(raw, "queue", QUEUES, errors) or "all",
        q=q,
        status=_choice(raw, "status", TicketStatus.values, errors),
        priority=_choice(raw, "priority", TicketPriority.values, errors),
        category=_choice(raw, "category", TicketCategory.values, errors),
        channel=_choice(raw, "channel", TicketChannel.values, errors),
        customer=customer,
    )
    if errors:
        raise ValidationFailed(errors)
    return filters


def breaching_q(now: dt.datetime) -> Q:
    """Tickets with a running clock past its warning time and not yet breached."""
    response = Q(first_responded_at__isnull=True, first_response_warn_at__lte=now,
                 first_response_due__gt=now, response_breached_at__isnull=True)  # fmt: skip
    resolution = Q(resolution_warn_at__lte=now, clock_started_at__isnull=False,
                   resolution_due__gt=now, resolution_breached_at__isnull=True)  # fmt: skip
    return Q(status__in=OPEN_STATUSES) & (response | resolution)


def queue(
    *, actor: Any, filters: TicketFilters, now: dt.datetime | None = None
) -> QuerySet[Ticket]:
    """One queue of the desk with its filters, in the order the queue works in: the
    breaching queue by the nearest due time, the others newest first."""
    now = now or timezone.now()
    qs = scoped_tickets(actor=actor)
    if filters.queue == "mine":
        qs = qs.filter(assignee_id=actor.pk)
    elif filters.queue == "team":
        qs = qs.filter(team_id=actor.team_id) if actor.team_id else qs.none()
    elif filters.queue == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.queue == "breaching":
        qs = qs.filter(breaching_q(now))
    elif filters.queue == "unknown":
        qs = qs.filter(customer__isnull=True)
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif filters.queue != "all":
        qs = qs.filter(status__in=OPEN_STATUSES)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.q:
        qs = qs.filter(Q(subject__icontains=filters.q) | Q(requester_email__icontains=filters.q))
    qs = qs.select_related(*LIST_RELATED)
    if filters.queue == "breaching":
        return qs.order_by("resolution_due", "id")
    return qs.order_by("-created_at", "-id")


def customer_tickets(*, actor: Any, customer: Customer, limit: int = 10) -> list[Ticket]:
    """The customer's tickets for the 360 page, whose reader already reads the customer:
    every ticket of a customer in scope is in scope (``ticket_filter``), so one query."""
    if not can_serve(actor):
        return []
    return list(
        Ticket.objects.filter(customer=customer)
        .select_related("assignee")
        .order_by("-created_at", "-id")[:limit]
    )


def my_open_tickets(*, actor: Any) -> QuerySet[Ticket]:
    return (
        scoped_tickets(actor=actor)
        .filter(assignee_id=actor.pk, status__in=OPEN_STATUSES)
        .select_related("customer")
        .order_by("resolution_due", "id")
    )


def ticket_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    """``{id: "#id subject"}`` of those tickets ``actor`` may read."""
    clean = [int(i) for i in ids if str(i).isdigit() and 1 <= int(i) <= 2**63 - 1]
    rows = scoped_tickets(actor=actor).filter(pk__in=clean).values_list("pk", "subject")
    return {pk: f"#{pk} {subject}" for pk, subject in rows}


def agents(*, actor: Any) -> QuerySet[User]:
    """The users a ticket can be assigned to, among those the actor may see."""
    q = Q(is_active=True) & (Q(role__in=_serving_roles()) | Q(is_superuser=True))
    return permissions.users_visible_to(actor, User.objects.filter(q)).order_by("username")


def _serving_roles() -> list[str]:
    from guanxi.accounts.models import Role

    probe = User(is_active=True)
    roles = []
    for role in Role.values:
        probe.role = role
        probe.is_superuser = False
        # the rule of ``can_serve``, evaluated for each role (an unsaved probe user)
        if permissions.can_create_customer(probe) or permissions.can_log_communications_on_read(
            probe
        ):
            roles.append(role)
    return roles


def policies(*, actor: Any) -> QuerySet[SlaPolicy]:
    if not can_serve(actor):
        return SlaPolicy.objects.none()
    return SlaPolicy.objects.filter(active=True).order_by("order", "id")


# --- satisfaction (C3) and follow-up visits (C4) --------------------------------------------
# Surveys and visits are read like the customers they concern; a visit also by the account
# manager it is assigned to. Results group the answers in SQL (one query per table shown).

RESULT_GROUPS = ("owner", "team", "customer", "category")
RESULT_MONTHS = 12
FOLLOWUP_STATUSES = ("pending", "done", "overdue")


def scoped_surveys(*, actor: Any) -> QuerySet[Survey]:
    if not can_serve(actor):
        return Survey.objects.none()
    return permissions.scope_by_customer(actor, Survey.objects.all())


def ticket_csat(*, ticket: Ticket) -> Survey | None:
    """The CSAT survey of a ticket its reader has read through ``ticket_get``."""
    return ticket.surveys.filter(kind=SurveyKind.CSAT).first()


@dataclass(frozen=True)
class ResultFilters:
    kind: str = "csat"
    group: str = "owner"
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_query(self) -> dict[str, str]:
        out = {"kind": self.kind, "group": self.group, "date_from": self.date_from,
               "date_to": self.date_to}  # fmt: skip
        return {k: str(v) for k, v in out.items() if v not in (None, "")}


def _date(raw: Mapping[str, Any], name: str, errors: dict[str, str]) -> dt.date | None:
    from guanxi.core.limits import check_date

    value = str(raw.get(name) or "").strip()
    if not value:
        return None
    try:
        return check_date(dt.date.fromisoformat(value))
    except (ValueError, TypeError):
        errors[name] = _("须为 YYYY-MM-DD 格式的日期。")
        return None


def validate_result_filters(raw: Mapping[str, Any]) -> ResultFilters:
    errors: dict[str, str] = {}
    filters = ResultFilters(
        kind=_choice(raw, "kind", SurveyKind.values, errors) or "csat",
        group=_choice(raw, "group", RESULT_GROUPS, errors) or "owner",
        date_from=_date(raw, "date_from", errors),
        date_to=_date(raw, "date_to", errors),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = _("结束日期不能早于开始日期。")
    if errors:
        raise ValidationFailed(errors)
    return filters


def _score_aggregates(kind: str) -> dict[str, Any]:
    from django.db.models import Avg, Count

    if kind == SurveyKind.CSAT:
        return {"answered": Count("id"), "average": Avg("score"),
                "satisfied": Count("id", filter=Q(score__gte=4)),
                "dissatisfied": Count("id", filter=Q(score__lte=2))}  # fmt: skip
    return {"answered": Count("id"), "promoters": Count("id", filter=Q(score__gte=9)),
            "detractors": Count("id", filter=Q(score__lte=6))}  # fmt: skip


def _measure(kind: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's headline figure: CSAT % (share of 4 and 5) or NPS (% promoters − %
    detractors), one decimal; ``None`` without answers."""
    answered = row["answered"] or 0
    out = dict(row)
    if not answered:
        out["score"] = None
    elif kind == SurveyKind.CSAT:
        out["score"] = round(100 * row["satisfied"] / answered, 1)
        out["average"] = round(float(row["average"]), 2)
    else:
        out["score"] = round(100 * (row["promoters"] - row["detractors"]) / answered, 1)
    return out


_GROUP_FIELDS = {
    "owner": ("owner_id", "owner__display_name", "owner__username"),
    "team": ("team_id", "team__name"),
    "customer": ("customer_id", "customer__name"),
    "category": ("category",),
}


def _group_label(group: str, row: Mapping[str, Any]) -> str:
    from guanxi.service.models import TicketCategory

    if group == "owner":
        return str(row["owner__display_name"] or row["owner__username"] or _("（无客户经理）"))
    if group == "team":
        return str(row["team__name"] or _("（无部门）"))
    if group == "customer":
        return str(row["customer__name"])
    return str(TicketCategory(row["category"]).label) if row["category"] else _("（无类别）")


def survey_results(
    *, actor: Any, filters: ResultFilters, today: dt.date | None = None
) -> dict[str, Any]:
    """CSAT or NPS of the answers the actor may read: the total, one row per group
    (account manager, department, customer or ticket category, best first) and the monthly
    trend (without dates: the last ``RESULT_MONTHS`` months)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db.models.functions import TruncMonth

    today = today or timezone.localdate()
    tz = ZoneInfo(settings.TIME_ZONE)
    first = today.replace(day=1) - dt.timedelta(days=31 * (RESULT_MONTHS - 1))
    start = filters.date_from or first.replace(day=1)
    qs = scoped_surveys(actor=actor).filter(kind=filters.kind, answered_at__isnull=False)
    qs = qs.filter(answered_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz))
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        qs = qs.filter(answered_at__lt=end)
    aggregates = _score_aggregates(filters.kind)
    total = _measure(filters.kind, qs.aggregate(**aggregates))
    fields = _GROUP_FIELDS[filters.group]
    rows = [
        {**_measure(filters.kind, row), "key": row[fields[0]],
         "label": _group_label(filters.group, row)}
        for row in qs.values(*fields).annotate(**aggregates).order_by(*fields)
    ]  # fmt: skip
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["label"]))
    trend = [
        {**_measure(filters.kind, row), "month": row["month"].strftime("%Y-%m")}
        for row in qs.annotate(month=TruncMonth("answered_at", tzinfo=tz))
        .values("month").annotate(**aggregates).order_by("month")
    ]  # fmt: skip
    sent = scoped_surveys(actor=actor).filter(
        kind=filters.kind, sent_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    )
    if filters.date_to:
        sent = sent.filter(sent_at__lt=end)
    return {"total": total, "rows": rows, "trend": trend, "sent": sent.count(),
            "start": start, "end": filters.date_to or today}  # fmt: skip


def survey_list(*, actor: Any, kind: str = "", answered: bool | None = None) -> QuerySet[Survey]:
    qs = scoped_surveys(actor=actor).select_related("customer", "ticket", "campaign", "owner")
    if kind:
        qs = qs.filter(kind=kind)
    if answered is not None:
        qs = qs.filter(answered_at__isnull=not answered)
    return qs.order_by("-sent_at", "-id")


def nps_recipients(
    *, actor: Any, value_class: str = "", owner: Any = None, tag: Any = None
) -> QuerySet[Any]:
    """The contacts with an e-mail address of the live customers in ``actor``'s scope and
    the segment (value class, account manager, tag; each optional)."""
    from guanxi.customers.models import Contact

    qs = permissions.scope_by_customer(
        actor, Contact.objects.filter(customer__deleted_at__isnull=True).exclude(email="")
    )
    if value_class:
        qs = qs.filter(customer__value__value_class=value_class)
    if owner is not None:
        qs = qs.filter(customer__owner=owner)
    if tag is not None:
        qs = qs.filter(customer__tags=tag)
    return qs.order_by("customer_id", "id").distinct()


def followup_filter(actor: Any) -> Q | None:
    if not can_serve(actor):
        return _NOTHING
    customers = permissions.customer_filter(actor, "customer__")
    return None if customers is None else customers | Q(owner_id=actor.pk)


def scoped_followups(*, actor: Any) -> QuerySet[FollowUp]:
    q = followup_filter(actor)
    return FollowUp.objects.all() if q is None else FollowUp.objects.filter(q)


def can_record_followup(actor: Any, follow_up: FollowUp) -> bool:
    """The assigned account manager, and whoever may log communications on the customer
    (their manager, an admin, a service agent calling back)."""
    if not can_serve(actor):
        return False
    return follow_up.owner_id == actor.pk or permissions.can_log_communication(
        actor, follow_up.customer
    )


@dataclass(frozen=True)
class FollowUpFilters:
    status: str = ""
    reason: str = ""
    owner: int | None = None
    customer: int | None = None

    def as_query(self) -> dict[str, str]:
        out = {"status": self.status, "reason": self.reason, "owner": self.owner,
               "customer": self.customer}  # fmt: skip
        return {k: str(v) for k, v in out.items() if v not in (None, "")}


def _id(raw: Mapping[str, Any], name: str, errors: dict[str, str]) -> int | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    text = str(value)
    if not text.isdigit() or not 1 <= int(text) <= 2**63 - 1:
        errors[name] = _("必须是整数。")
        return None
    return int(text)


def validate_followup_filters(raw: Mapping[str, Any]) -> FollowUpFilters:
    errors: dict[str, str] = {}
    filters = FollowUpFilters(
        status=_choice(raw, "status", FOLLOWUP_STATUSES, errors),
        reason=_choice(raw, "reason", FollowUpReason.values, errors),
        owner=_id(raw, "owner", errors),
        customer=_id(raw, "customer", errors),
    )
    if errors:
        raise ValidationFailed(errors)
    return filters


def followup_list(
    *, actor: Any, filters: FollowUpFilters, today: dt.date | None = None
) -> QuerySet[FollowUp]:
    """Visits in scope, the most urgent first; ``overdue``: pending past the due date."""
    today = today or timezone.localdate()
    qs = scoped_followups(actor=actor)
    if filters.status == "overdue":
        qs = qs.filter(status=FollowUpStatus.PENDING, due_date__lt=today)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.reason:
        qs = qs.filter(reason=filters.reason)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    return qs.select_related("customer", "ticket", "owner", "survey").order_by(
        "status", "due_date", "id"
    )


def followup_counts_by_owner(*, actor: Any, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Per account manager: pending visits and how many of them are overdue, most overdue
    first (one grouped query)."""
    from django.db.models import Count

    today = today or timezone.localdate()
    pending = Q(status=FollowUpStatus.PENDING)
    rows = (
        scoped_followups(actor=actor)
        .values("owner_id", "owner__display_name", "owner__username")
        .annotate(pending=Count("id", filter=pending),
                  overdue=Count("id", filter=pending & Q(due_date__lt=today)),
                  done=Count("id", filter=Q(status=FollowUpStatus.DONE)))
        .order_by("owner_id")
    )  # fmt: skip
    out = [
        {"owner_id": r["owner_id"], "pending": r["pending"], "overdue": r["overdue"],
         "done": r["done"],
         "name": r["owner__display_name"] or r["owner__username"] or _("（无客户经理）")}
        for r in rows
    ]  # fmt: skip
    return sorted(out, key=lambda r: (-r["overdue"], -r["pending"], str(r["name"])))


def my_followups(*, actor: Any) -> QuerySet[FollowUp]:
    return (
        FollowUp.objects.filter(owner_id=actor.pk, status=FollowUpStatus.PENDING)
        .select_related("customer", "ticket")
        .order_by("due_date", "id")
    )


# --- complaints (C2) -----------------------------------------------------------------------


@dataclass(frozen=True)
class RootCauseNode:
    node: RootCause
    depth: int
    path: str


def root_cause_tree(*, actor: Any, active_only: bool = False) -> list[RootCauseNode]:
    """The root-cause tree depth first (one query), each node with its depth and its path
    ("产品质量 / 包装破损"). Readable by everyone on the desk; written by admins."""
    if not can_serve(actor) and not permissions.can_manage_settings(actor):
        return []
    nodes = list(RootCause.objects.order_by("order", "name", "id"))
    children: dict[int | None, list[RootCause]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    out: list[RootCauseNode] = []

    def walk(parent: int | None, depth: int, prefix: str) -> None:
        for node in children.get(parent, []):
            if active_only and not node.active:
                continue
            path = f"{prefix} / {node.name}" if prefix else node.name
            out.append(RootCauseNode(node, depth, path))
            walk(node.pk, depth + 1, path)

    walk(None, 0, "")
    return out


def complaint_of(*, ticket: Ticket) -> Complaint | None:
    """The complaint record of a ticket the caller has read through ``ticket_get``."""
    return (
        Complaint.objects.select_related("root_cause", "department", "product")
        .filter(ticket_id=ticket.pk)
        .first()
    )


def scoped_complaints(*, actor: Any) -> QuerySet[Complaint]:
    q = ticket_filter(actor)
    qs = Complaint.objects.all()
    if q is None:
        return qs
    return qs.filter(ticket__in=Ticket.objects.filter(q).values("pk"))


@dataclass(frozen=True)
class RateRow:
    key: int
    name: str
    complaints: int
    orders: int
    cost: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Complaints per order (None without orders: no rate to speak of)."""
        if not self.orders:
            return None
        return (Decimal(self.complaints) / Decimal(self.orders)).quantize(Decimal("0.0001"))

    @property
    def rate_percent(self) -> Decimal | None:
        rate = self.rate
        return None if rate is None else rate * 100


def complaint_rate_by_customer(*, actor: Any, limit: int = 50) -> list[RateRow]:
    """The customers with the most complaints the actor may see, with their confirmed
    orders (in the actor's scope) and the compensation paid: two grouped queries."""
    rows = list(
        scoped_complaints(actor=actor)
        .filter(ticket__customer__isnull=False)
        .values("ticket__customer_id", "ticket__customer__name")
        .annotate(n=Count("id"), cost=Sum("compensation_amount"))
        .order_by("-n", "ticket__customer_id")[:limit]
    )
    ids = [r["ticket__customer_id"] for r in rows]
    orders = dict(
        permissions.scope_by_customer(
            actor, Order.objects.filter(customer_id__in=ids), "customer__"
        )
        .exclude(status=OrderStatus.CANCELLED)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    return [
        RateRow(r["ticket__customer_id"], r["ticket__customer__name"], r["n"],
                orders.get(r["ticket__customer_id"], 0), r["cost"] or Decimal("0"))
        for r in rows
    ]  # fmt: skip


def complaint_rate_by_product(*, actor: Any, limit: int = 50) -> list[RateRow]:
    """The products complained about most (in the complaints the actor may see), with the
    number of confirmed orders containing them (in the actor's scope)."""
    rows = list(
        scoped_complaints(actor=actor)
        .filter(product__isnull=False)
        .values("product_id", "product__code", "product__name")
        .annotate(n=Count("id"), cost=Sum("compensation_amount"))
        .order_by("-n", "product_id")[:limit]
    )
    ids = [r["product_id"] for r in rows]
    orders = dict(
        permissions.scope_by_customer(
            actor, OrderLine.objects.filter(product_id__in=ids), "order__customer__"
        )
        .exclude(order__status=OrderStatus.CANCELLED)
        .values("product_id")
        .annotate(n=Count("order_id", distinct=True))
        .values_list("product_id", "n")
    )
    return [
        RateRow(r["product_id"], f"{r['product__code']} {r['product__name']}", r["n"],
                orders.get(r["product_id"], 0), r["cost"] or Decimal("0"))
        for r in rows
    ]  # fmt: skip


def complaint_cost_by_customer(
    *, actor: Any, customer_ids: Collection[int] | None = None, before: dt.datetime | None = None
) -> dict[int, Decimal]:
    """Compensation paid on complaints, summed per customer: a cost to serve (analytics
    F8). ``actor=None`` is the system (the value recompute, which reads every customer);
    a user gets the complaints of their scope. ``before``: complaints recorded before it."""
    qs = Complaint.objects.all() if actor is None else scoped_complaints(actor=actor)
    qs = qs.filter(ticket__customer__isnull=False, compensation_amount__gt=0)
    if customer_ids is not None:
        qs = qs.filter(ticket__customer_id__in=list(customer_ids))
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    rows = qs.values("ticket__customer_id").annotate(cost=Sum("compensation_amount"))
    return dict(rows.values_list("ticket__customer_id", "cost").order_by())


def tickets_by_customer(
    *, customer_ids: Collection[int] | None = None, before: dt.datetime | None = None
) -> QuerySet[Any, tuple[int, int]]:
    """The tickets handled per customer — every ticket on a customer except duplicates
    merged into another — for the service effort in the cost to serve (analytics F8,
    priced at the analytics setting "cost per ticket"; tickets log no time). The system's
    read over all customers (the value recompute): one grouped query, streamed."""
    qs = Ticket.objects.filter(customer__isnull=False, merged_into__isnull=True)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    return (
        qs.values("customer_id").annotate(n=Count("id")).values_list("customer_id", "n").order_by()
    )


# --- the desk: canned replies and saved views ----------------------------------------------


def canned_replies(*, actor: Any) -> QuerySet[CannedReply]:
    """The actor's own canned replies and the shared ones."""
    if not can_serve(actor):
        return CannedReply.objects.none()
    return CannedReply.objects.filter(Q(owner_id=actor.pk) | Q(shared=True)).select_related("owner")


def can_change_canned(actor: Any, reply: CannedReply) -> bool:
    if reply.owner_id == actor.pk and not reply.shared:
        return True
    return reply.owner_id == actor.pk or permissions.can_share_canned_replies(actor)


_FIELD = re.compile(r"\{\{\s*(customer|contact|ticket|agent)\s*\}\}")


def render_canned(*, reply: CannedReply, ticket: Ticket, agent: Any) -> str:
    """The reply's text with its fields filled in. Only the four known fields are
    substituted, by plain text replacement (no template engine sees the text, so a reply
    cannot reach anything else); an unknown ``{{…}}`` stays as written."""
    values = {
        "customer": ticket.customer.name if ticket.customer else ticket.requester_name,
        "contact": ticket.contact.name if ticket.contact else ticket.requester_name,
        "ticket": f"#{ticket.pk} {ticket.subject}",
        "agent": str(agent),
    }
    return _FIELD.sub(lambda m: values[m.group(1)] or "", reply.body)


def saved_views(*, actor: Any) -> list[SavedView]:
    if not can_serve(actor):
        return []
    return list(SavedView.objects.filter(owner_id=actor.pk).order_by("name", "id"))


def default_view(*, actor: Any) -> SavedView | None:
    if not can_serve(actor):
        return None
    return SavedView.objects.filter(owner_id=actor.pk, is_default=True).first()


def campaigns(*, actor: Any) -> QuerySet[Any]:
    """The NPS campaigns of those who send them: all for who reads every customer, else
    their own."""
    from guanxi.service.models import NpsCampaign

    if not permissions.can_send_surveys(actor):
        return NpsCampaign.objects.none()
    qs = NpsCampaign.objects.select_related("owner", "tag").order_by("-created_at", "-id")
    return qs if permissions.customer_filter(actor) is None else qs.filter(created_by=actor)


def departments() -> QuerySet[Team]:
    """The departments a complaint can be laid at (the whole organisation tree)."""
    return Team.objects.order_by("name")


def complaint_products(*, actor: Any, limit: int = 500) -> list[Product]:
    """The products offered on a complaint (the active ones, by code)."""
    return list(order_selectors.products(actor=actor).filter(active=True).order_by("code")[:limit])


# --- triage and mailboxes --------------------------------------------------------------------

TRIAGE_CANDIDATES = 8


def triage_customers(
    *, actor: Any, q: str, picked: Any = None, limit: int = TRIAGE_CANDIDATES
) -> list[Customer]:
    """The customers matching ``q`` that the actor reads, for the triage type-ahead (the
    customer list's own search: name, pinyin, initials, phone, e-mail; its scope), the
    one already ``picked`` first; linking checks again that the actor may log on it."""
    from guanxi.customers import selectors as customer_selectors

    found: list[Customer] = []
    if picked not in (None, ""):
        with contextlib.suppress(NotFound):  # gone, or out of scope: offer only the matches
            found.append(customer_selectors.customer_get(actor=actor, customer_id=picked))
    if q.strip():
        filters = customer_selectors.CustomerFilters(q=q[:MAX_QUERY])
        page = customer_selectors.customer_list(actor=actor, filters=filters, size=limit)
        found += [c for c in page.items if not found or c.pk != found[0].pk]
    return found[:limit]


def mailbox_list(*, actor: Any) -> QuerySet[Mailbox]:
    """Every mailbox, for the administrators who set them up (others: a 403)."""
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以设置收件邮箱。"))
    return Mailbox.objects.order_by("name", "id")


def mailbox_get(*, actor: Any, mailbox_id: Any) -> Mailbox:
    mailbox = mailbox_list(actor=actor).filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound(_("收件邮箱不存在。"))
    return mailbox
