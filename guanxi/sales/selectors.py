"""Reads of the sales app, every one scoped by the actor: opportunities and leads through
their owner and department (``accounts.permissions.record_filter``, the levels 本人 …
全部 of the actor's role), pipelines and reasons for every staff user."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Case, Count, DateField, F, Q, QuerySet, Sum, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import Customer
from guanxi.orders import selectors as order_selectors
from guanxi.orders.models import Product
from guanxi.sales.models import (
    Activity,
    Lead,
    LeadStatus,
    LostReason,
    Opportunity,
    OpportunityLine,
    OpportunityStatus,
    Pipeline,
    Stage,
)
from guanxi.sales.models_targets import ForecastCategory

COLUMN_PAGE = 20  # cards per kanban column before "load more"
MAX_QUERY = 100


@dataclass(frozen=True)
class OpportunityFilters:
    """The filters the kanban, the list and the API share (validated from text)."""

    q: str = ""
    owner: int | None = None
    status: str = ""
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    pipeline: int | None = None
    # The forecast's drill-down: a department, a forecast category, a closing window.
    team: int | None = None
    category: str = ""
    closed_from: dt.date | None = None
    closed_to: dt.date | None = None

    def as_query(self) -> dict[str, str]:
        out = {"q": self.q, "owner": self.owner, "status": self.status,
               "close_from": self.close_from, "close_to": self.close_to,
               "team": self.team, "category": self.category,
               "closed_from": self.closed_from, "closed_to": self.closed_to}  # fmt: skip
        return {k: str(v) for k, v in out.items() if v not in (None, "")}

    @property
    def category_label(self) -> str:
        return str(dict(ForecastCategory.choices).get(self.category, self.category))


def _int(raw: Any, name: str, errors: dict[str, str]) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors[name] = _("必须是整数。")
        return None
    if not 1 <= value <= 2**63 - 1:
        errors[name] = _("必须是整数。")
        return None
    return value


def _date(raw: Any, name: str, errors: dict[str, str]) -> dt.date | None:
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        errors[name] = _("须为 YYYY-MM-DD 格式的日期。")
        return None


def validate_filters(raw: Any) -> OpportunityFilters:
    """Filters from a query string; bad values are a ``ValidationFailed`` naming them."""
    errors: dict[str, str] = {}
    q = str(raw.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        errors["q"] = _("不能超过 100 个字符。")
    status = str(raw.get("status") or "")
    if status and status not in OpportunityStatus.values:
        errors["status"] = _("无效的选项。")
    category = str(raw.get("category") or "")
    if category and category not in ForecastCategory.values:
        errors["category"] = _("无效的选项。")
    filters = OpportunityFilters(
        q=q,
        owner=_int(raw.get("owner"), "owner", errors),
        status=status,
        close_from=_date(raw.get("close_from"), "close_from", errors),
        close_to=_date(raw.get("close_to"), "close_to", errors),
        pipeline=_int(raw.get("pipeline"), "pipeline", errors),
        team=_int(raw.get("team"), "team", errors),
        category=category,
        closed_from=_date(raw.get("closed_from"), "closed_from", errors),
        closed_to=_date(raw.get("closed_to"), "closed_to", errors),
    )
    if errors:
        raise ValidationFailed(errors)
    return filters


def scoped_opportunities(*, actor: Any) -> QuerySet[Opportunity]:
    q = permissions.record_filter(actor)
    qs = Opportunity.objects.all()
    return qs if q is None else qs.filter(q)


# A search matching more customers than this filters by a subquery instead of their ids.
SEARCH_CUSTOMER_IDS = 1000


def search_q(query: str) -> Q:
    """The search box of the kanban and the list: the opportunity's name contains the text,
    or its customer is one the customers list finds for it (name, pinyin, initials, phone,
    e-mail: ``customers.selectors.search_q`` and its indexes). On PostgreSQL the name's
    bigram GIN index (migration 0004) narrows the candidates, the ``LIKE`` stays as the
    exact check; the matching customers are fetched first as an id list ("x OR id IN
    (subquery)" defeats the planner's bitmap-OR)."""
    name = Q(name__icontains=query)
    folded = unicodedata.normalize("NFKC", query).lower()
    if connection.vendor == "postgresql" and len(folded) >= 2:
        grams = sorted({folded[i : i + 2] for i in range(len(folded) - 1)})
        name &= Q(
            RawSQL(
                "gx_bigrams(lower(normalize(sales_opportunity.name, NFKC))) @> %s::text[]",
                (grams,),
                output_field=BooleanField(),
            )
        )
    customer_cond = customer_selectors.search_q(query)
    if customer_cond is None:
        return name
    customers = Customer.all_objects.filter(customer_cond).order_by()
    ids = list(customers.values_list("pk", flat=True)[: SEARCH_CUSTOMER_IDS + 1])
    if len(ids) > SEARCH_CUSTOMER_IDS:
        return name | Q(customer_id__in=customers.values("pk"))
    return name | Q(customer_id__in=ids) if ids else name


def filter_opportunities(
    qs: QuerySet[Opportunity], filters: OpportunityFilters
) -> QuerySet[Opportunity]:
    if filters.q:
        qs = qs.filter(search_q(filters.q))
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.close_from:
        qs = qs.filter(expected_close__gte=filters.close_from)
    if filters.close_to:
        qs = qs.filter(expected_close__lte=filters.close_to)
    if filters.pipeline:
        qs = qs.filter(pipeline_id=filters.pipeline)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.category:
        qs = qs.filter(forecast_category=filters.category)
    if filters.closed_from or filters.closed_to:
        qs = qs.filter(_closed_window(filters.closed_from, filters.closed_to))
    return qs


def _closed_window(start: dt.date | None, last: dt.date | None) -> Q:
    """Closed on the days ``start``–``last`` (inclusive) of the shown time zone."""
    zone = timezone.get_default_timezone()
    q = Q()
    if start:
        q &= Q(closed_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=zone))
    if last:
        end = last + dt.timedelta(days=1)
        q &= Q(closed_at__lt=dt.datetime.combine(end, dt.time.min, tzinfo=zone))
    return q


def opportunity_list(*, actor: Any, filters: OpportunityFilters) -> QuerySet[Opportunity]:
    return (
        filter_opportunities(scoped_opportunities(actor=actor), filters)
        .select_related("customer", "stage", "owner")
        .order_by("-created_at", "-id")
    )


def opportunity_get(*, actor: Any, opportunity_id: Any) -> Opportunity:
    try:
        pk = int(opportunity_id)
    except (TypeError, ValueError):
        raise NotFound(_("商机不存在。")) from None
    row = (
        scoped_opportunities(actor=actor)
        .select_related("customer", "pipeline", "stage", "owner", "reason")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound(_("商机不存在。"))
    return row


def can_change(actor: Any, opportunity: Opportunity) -> bool:
    return permissions.can_change_record(
        actor, owner_id=opportunity.owner_id, team_id=opportunity.team_id
    )


def pipelines(*, actor: Any) -> QuerySet[Pipeline]:
    if not permissions.is_staff_actor(actor):
        return Pipeline.objects.none()
    return Pipeline.objects.filter(active=True).order_by("-is_default", "order", "id")


def pipeline_get(*, actor: Any, pipeline_id: Any) -> Pipeline:
    try:
        pk = int(pipeline_id)
    except (TypeError, ValueError):
        raise NotFound(_("销售流程不存在。")) from None
    row = pipelines(actor=actor).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("销售流程不存在。"))
    return row


def stages_of(*, pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("order", "id"))


def lost_reasons(*, actor: Any) -> QuerySet[LostReason]:
    if not permissions.is_staff_actor(actor):
        return LostReason.objects.none()
    return LostReason.objects.filter(active=True)


# --- the kanban ----------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal("0")
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return len(self.cards) < self.count


def _board(actor: Any, filters: OpportunityFilters) -> QuerySet[Opportunity]:
    # On the board: the cards with a rank (open ones, and closed ones in a won/lost stage).
    return filter_opportunities(scoped_opportunities(actor=actor), filters).filter(
        position__isnull=False
    )


# What a card shows (``sales/kanban.html#card``): the board reads no more than this.
# (and what its win-score badge reads: pipeline, owner, created_at)
CARD_FIELDS = ("id", "version", "name", "amount", "expected_close", "status", "stage_id",
               "position", "customer__name", "pipeline_id", "owner_id", "created_at")  # fmt: skip


def column_cards(
    *, actor: Any, stage: Stage, filters: OpportunityFilters, offset: int = 0,
    limit: int = COLUMN_PAGE,
) -> list[Opportunity]:  # fmt: skip
    qs = (
        _board(actor, filters)
        .filter(stage=stage)
        .select_related("customer")
        .only(*CARD_FIELDS)
        .order_by("position", "id")
    )
    return list(qs[offset : offset + limit])


def kanban(
    *, actor: Any, pipeline: Pipeline, filters: OpportunityFilters, per_column: int = COLUMN_PAGE
) -> list[Column]:
    """The columns of ``pipeline``: each stage with its count and sum over the whole column
    and its first ``per_column`` cards. Queries: the stages, the totals, and one per
    non-empty column — bounded by the stages, whatever the number of cards. Each column's
    query walks the (scope, stage, position) index and stops after ``per_column`` rows; one
    query ranking every card of the board (a window over the pipeline) cost 55 ms at 5,000
    cards on SQLite and grew with them (``bench.sales_bench``)."""
    columns = [Column(stage=s) for s in stages_of(pipeline=pipeline)]
    if not columns:
        return columns
    by_stage = {c.stage.pk: c for c in columns}
    totals = (
        _board(actor, filters)
        .filter(stage__in=list(by_stage))
        .order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    for row in totals:
        column = by_stage[row["stage_id"]]
        column.count, column.total = row["n"], row["total"] or Decimal("0")
    for column in columns:
        if column.count:
            column.cards = column_cards(
                actor=actor, stage=column.stage, filters=filters, limit=per_column
            )
    return columns


# --- the 360 panel, activities ---------------------------------------------------------------


def customer_opportunities(*, actor: Any, customer: Customer, limit: int = 10) -> list[Opportunity]:
    return list(
        scoped_opportunities(actor=actor)
        .filter(customer=customer)
        .select_related("stage", "owner")
        .order_by("-created_at", "-id")[:limit]
    )


def lines_of(*, opportunity: Opportunity) -> list[OpportunityLine]:
    """The product lines of an opportunity the caller has already read through
    :func:`opportunity_get` (so within the actor's scope)."""
    return list(opportunity.lines.select_related("product").order_by("id"))


def catalogue(*, actor: Any) -> QuerySet[Product]:
    """The products a line may be added from: the orders catalogue, those on sale."""
    return order_selectors.products(actor=actor).filter(active=True).order_by("code")


def activities_of(*, opportunity: Opportunity, limit: int = 50) -> list[Activity]:
    return list(opportunity.activities.select_related("actor").order_by("-at", "-id")[:limit])


CLOSING_SOON = dt.timedelta(days=7)


def my_day_opportunities(*, actor: Any, today: dt.date) -> QuerySet[Opportunity]:
    """The actor's own open opportunities that need them now: the next step due today or
    overdue, or the expected close within ``CLOSING_SOON`` (or past) — most urgent first."""
    urgent = Case(
        When(next_step_due__lte=today, then=F("next_step_due")),
        default=F("expected_close"),
        output_field=DateField(),
    )
    return (
        scoped_opportunities(actor=actor)
        .filter(owner_id=actor.pk, status=OpportunityStatus.OPEN)
        .filter(Q(next_step_due__lte=today) | Q(expected_close__lte=today + CLOSING_SOON))
        .select_related("customer")
        .only("id", "name", "next_step", "next_step_due", "expected_close", "customer__name")
        .annotate(urgent=urgent)
        .order_by("urgent", "id")
    )


def sellers(*, actor: Any) -> QuerySet[User]:
    """The users an opportunity or lead can be given to (for owner dropdowns/filters)."""
    return permissions.users_visible_to(actor, User.objects.all()).order_by("username")


# --- leads ---------------------------------------------------------------------------------


def scoped_leads(*, actor: Any) -> QuerySet[Lead]:
    q = permissions.record_filter(actor)
    qs = Lead.objects.all()
    return qs if q is None else qs.filter(q)


def lead_list(*, actor: Any, status: str = "", q: str = "") -> QuerySet[Lead]:
    qs = scoped_leads(actor=actor).select_related("owner")
    if status:
        if status not in LeadStatus.values:
            raise ValidationFailed({"status": _("无效的选项。")})
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(name__icontains=q[:MAX_QUERY]) | Q(company__icontains=q[:MAX_QUERY]))
    return qs.order_by("-created_at", "-id")


def lead_get(*, actor: Any, lead_id: Any) -> Lead:
    try:
        pk = int(lead_id)
    except (TypeError, ValueError):
        raise NotFound(_("线索不存在。")) from None
    row = scoped_leads(actor=actor).select_related("owner", "converted_customer").filter(pk=pk)
    lead = row.first()
    if lead is None:
        raise NotFound(_("线索不存在。"))
    return lead


# --- names of referenced records (history rows) --------------------------------------------


def _ids(ids: Collection[Any]) -> list[int]:
    out = []
    for value in ids:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def opportunity_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    """``{id: name}`` of those opportunities ``actor`` may read (the others left out)."""
    qs = scoped_opportunities(actor=actor).filter(pk__in=_ids(ids))
    return dict(qs.values_list("pk", "name"))


def lead_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    leads = scoped_leads(actor=actor).filter(pk__in=_ids(ids)).only("id", "name", "company")
    return {lead.pk: str(lead) for lead in leads}


def pipeline_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    if not permissions.is_staff_actor(actor):
        return {}
    return dict(Pipeline.objects.filter(pk__in=_ids(ids)).values_list("pk", "name"))


def stage_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    if not permissions.is_staff_actor(actor):
        return {}
    return dict(Stage.objects.filter(pk__in=_ids(ids)).values_list("pk", "name"))


def reason_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    if not permissions.is_staff_actor(actor):
        return {}
    return dict(LostReason.objects.filter(pk__in=_ids(ids)).values_list("pk", "label"))
