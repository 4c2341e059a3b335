"""Project overruns as a cost to serve (analytics F8, issue 15 item 6): what the customer's
projects cost beyond their budgets flows into the customer's value.

A project's overrun is max(0, actual cost − budget), with the actual cost as earned value
reads it (``selectors_actuals``): approved time at its priced cost (``TimeEntry.cost``)
plus approved cost entries, dated on or before the run's as-of day. Projects that are
active, on hold or closed count; cancelled ones and projects without a budget (0: nothing
to overrun) do not. One grouped query over all projects: the actual cost of each project
comes from two correlated sums on the (project, status, date) indexes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from guanxi.projects.models import (
    CostEntry,
    CostStatus,
    Project,
    ProjectStatus,
    TimeEntry,
    TimeStatus,
)

KEY = "projects.overruns"
COUNTED = (ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD, ProjectStatus.CLOSED)
_MONEY = DecimalField(max_digits=16, decimal_places=2)
_ZERO = Value(Decimal("0"), output_field=_MONEY)


def _project_sum(qs: QuerySet[Any], column: str) -> Coalesce:
    total = (
        qs.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=_MONEY), _ZERO, output_field=_MONEY)


def overruns_by_customer(
    customer_ids: Collection[int] | None = None, *, as_of: dt.date | None = None
) -> QuerySet[Any, tuple[int, Decimal]]:
    """(customer id, the sum of its projects' overruns; 0 when within budget) of the
    customers with a counted project. (No HAVING: it would compute the sums again.)"""
    entries = CostEntry.objects.filter(status=CostStatus.APPROVED)
    times = TimeEntry.objects.filter(status=TimeStatus.APPROVED)
    if as_of is not None:
        entries, times = entries.filter(date__lte=as_of), times.filter(date__lte=as_of)
    projects = Project.objects.filter(status__in=COUNTED, budget__gt=0)
    if customer_ids is not None:
        projects = projects.filter(customer_id__in=list(customer_ids))
    actual = _project_sum(entries, "amount") + _project_sum(times, "cost")
    over = Greatest(actual - F("budget"), _ZERO, output_field=_MONEY)
    return (
        projects.annotate(overrun=over)
        .values("customer_id")
        .annotate(total=Sum("overrun"))
        .values_list("customer_id", "total")
        .order_by()
    )


def register() -> None:
    from guanxi.analytics.cost_sources import register_cost_source

    register_cost_source(KEY, _("项目超支"), overruns_by_customer)
