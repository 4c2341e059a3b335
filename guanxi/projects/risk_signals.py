"""Risks raised from CRM signals (SPEC E5), as a scheduled reminder rule: once a day the
rule looks at the customers of running projects (active or on hold) and, for each signal
below that holds, raises a risk on the project naming the signal and what it saw; the
project manager is told. A signal whose risk is still open raises nothing new (checked
here, and by the partial unique key on ``Risk``), so the rule can run any number of times
in any number of workers.

The signals, each one set-based query over its own app's rows:

- ``satisfaction`` — the customer's CSAT answers of the last 90 days average at least half
  a point below those of the 90 days before, or at most ``LOW_CSAT``; NPS answers likewise
  (a point, or a mean at detractor level, 6 or less);
- ``change_requests`` — the project has ``GUANXI_RISK_CHANGE_REQUESTS`` (3) change requests
  or more, withdrawn ones not counted (``projects.ChangeRequest``, when that model exists);
- ``overdue_visits`` — a follow-up visit (回访) of the customer is past its due date;
- ``value_class`` — the latest analytics snapshot has the customer in a lower value class
  than the run before;
- ``overdue_collections`` — an instalment of the customer's contracts is past its date and
  not fully received.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Case, Count, F, Min, Sum, When
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.analytics.models import AnalyticsRun, RunStatus, ValueClass, ValueSnapshot
from guanxi.contracts.models import OPEN_INSTALMENT_STATUSES, Instalment
from guanxi.notifications.registry import Due, NotificationKind, Rule, register_kind, register_rule
from guanxi.projects.models import Project, ProjectStatus, Risk, RiskSignal
from guanxi.service.models import LOW_CSAT, FollowUp, FollowUpStatus, Survey, SurveyKind

RISK_RAISED = "projects_risk_raised"
WINDOW_DAYS = 90
CSAT_DROP = 0.5
NPS_DROP = 1.0
NPS_DETRACTOR = 6
DEFAULT_CHANGE_REQUESTS = 3
RUNNING = (ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)
# Best first; "insufficient" (one purchase) is no class to slip from.
CLASS_RANK: dict[str, int] = {
    ValueClass.PLATINUM: 0,
    ValueClass.GOLD: 1,
    ValueClass.SILVER: 2,
    ValueClass.DEVELOPMENT: 3,
    ValueClass.ADJUST: 4,
}


@dataclass(frozen=True)
class Raised:
    risk: Risk
    project: Project


def change_request_threshold() -> int:
    return max(1, int(getattr(settings, "GUANXI_RISK_CHANGE_REQUESTS", DEFAULT_CHANGE_REQUESTS)))


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def satisfaction_signals(customer_ids: Any, today: dt.date) -> dict[int, str]:
    cut = _start(today - dt.timedelta(days=WINDOW_DAYS))
    since = _start(today - dt.timedelta(days=2 * WINDOW_DAYS))
    rows = (
        Survey.objects.filter(
            customer_id__in=customer_ids, answered_at__gte=since, score__isnull=False
        )
        .values("customer_id", "kind")
        .annotate(
            recent=Avg(Case(When(answered_at__gte=cut, then=F("score")))),
            prior=Avg(Case(When(answered_at__lt=cut, then=F("score")))),
        )
    )
    found: dict[int, str] = {}
    for row in rows:
        recent, prior = row["recent"], row["prior"]
        if recent is None:
            continue
        csat = row["kind"] == SurveyKind.CSAT
        drop, low = (CSAT_DROP, LOW_CSAT) if csat else (NPS_DROP, NPS_DETRACTOR)
        fell = prior is not None and float(recent) <= float(prior) - drop
        if not (fell or float(recent) <= low):
            continue
        name = "CSAT" if csat else "NPS"
        if prior is not None:
            text = _("近 %(days)s 天 %(kind)s 平均 %(recent).1f，此前 %(prior).1f") % {
                "days": WINDOW_DAYS, "kind": name, "recent": recent, "prior": prior,
            }  # fmt: skip
        else:
            text = _("近 %(days)s 天 %(kind)s 平均 %(recent).1f") % {
                "days": WINDOW_DAYS, "kind": name, "recent": recent,
            }  # fmt: skip
        found[row["customer_id"]] = "；".join(filter(None, [found.get(row["customer_id"]), text]))
    return found


def change_request_signals(project_ids: Any) -> dict[int, str]:
    """Per project (not per customer). Nothing while the model does not exist."""
    try:
        model = apps.get_model("projects", "ChangeRequest")
    except LookupError:
        return {}
    threshold = change_request_threshold()
    rows = (
        model._default_manager.filter(project_id__in=project_ids)
        .exclude(status="withdrawn")
        .values("project_id")
        .annotate(n=Count("id"))
        .filter(n__gte=threshold)
    )
    return {
        row["project_id"]: _("已有 %(count)s 项需求变更（阈值 %(threshold)s）")
        % {"count": row["n"], "threshold": threshold}
        for row in rows
    }


def overdue_visit_signals(customer_ids: Any, today: dt.date) -> dict[int, str]:
    rows = (
        FollowUp.objects.filter(
            customer_id__in=customer_ids, status=FollowUpStatus.PENDING, due_date__lt=today
        )
        .values("customer_id")
        .annotate(n=Count("id"), first=Min("due_date"))
    )
    return {
        row["customer_id"]: _("%(count)s 次回访逾期，最早应于 %(date)s 完成")
        % {"count": row["n"], "date": row["first"].isoformat()}
        for row in rows
    }


def value_class_signals(customer_ids: Any) -> dict[int, str]:
    run = (
        AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED, has_snapshot=True)
        .order_by("-finished_at", "-id")
        .first()
    )
    if run is None:
        return {}
    labels = dict(ValueClass.choices)
    found: dict[int, str] = {}
    rows = (
        ValueSnapshot.objects.filter(run=run, customer_id__in=customer_ids)
        .exclude(previous_class="")
        .exclude(previous_class=F("value_class"))
        .values_list("customer_id", "previous_class", "value_class")
    )
    for customer_id, old, new in rows:
        if old in CLASS_RANK and new in CLASS_RANK and CLASS_RANK[new] > CLASS_RANK[old]:
            found[customer_id] = _("客户价值类别由%(old)s降为%(new)s") % {
                "old": labels[old], "new": labels[new],
            }  # fmt: skip
    return found


def overdue_collection_signals(customer_ids: Any, today: dt.date) -> dict[int, str]:
    rows = (
        Instalment.objects.filter(
            customer_id__in=customer_ids,
            status__in=OPEN_INSTALMENT_STATUSES,
            due_date__lt=today,
        )
        .filter(amount__gt=F("received"))
        .values("customer_id")
        .annotate(n=Count("id"), open=Sum(F("amount") - F("received")))
    )
    return {
        row["customer_id"]: _("%(count)s 期回款逾期，未回款 ¥%(open)s")
        % {"count": row["n"], "open": f"{Decimal(row['open'] or 0):,.2f}"}
        for row in rows
    }


def signals(today: dt.date) -> dict[tuple[int, str], str]:
    """(project id, signal) → what was seen, for running projects without an open risk of
    that signal."""
    projects = Project.objects.filter(status__in=RUNNING)
    customer_ids = projects.values("customer_id")
    by_customer: dict[int, list[int]] = defaultdict(list)
    for pk, customer_id in projects.values_list("pk", "customer_id"):
        by_customer[customer_id].append(pk)
    found: dict[tuple[int, str], str] = {}
    for signal, per_customer in (
        (RiskSignal.SATISFACTION, satisfaction_signals(customer_ids, today)),
        (RiskSignal.OVERDUE_VISITS, overdue_visit_signals(customer_ids, today)),
        (RiskSignal.VALUE_CLASS, value_class_signals(customer_ids)),
        (RiskSignal.OVERDUE_COLLECTIONS, overdue_collection_signals(customer_ids, today)),
    ):
        for customer_id, text in per_customer.items():
            for project_id in by_customer.get(customer_id, ()):
                found[(project_id, signal)] = text
    for project_id, text in change_request_signals(projects.values("pk")).items():
        found[(project_id, RiskSignal.CHANGE_REQUESTS)] = text
    if not found:
        return found
    open_pairs = set(
        Risk.objects.filter(project_id__in={p for p, _s in found})
        .exclude(signal="")
        .exclude(status="closed")
        .values_list("project_id", "signal")
    )
    return {key: text for key, text in found.items() if key not in open_pairs}


def risk_sweep(today: dt.date) -> list[Raised]:
    """Raise the risks the signals call for; each in its own transaction with the project
    locked (a project closed meanwhile is skipped)."""
    from guanxi.projects.services.risks import risk_raise_from_signal

    raised: list[Raised] = []
    for (project_id, signal), text in sorted(signals(today).items()):
        with transaction.atomic():
            project = (
                Project.objects.select_for_update(of=("self",))
                .filter(pk=project_id, status__in=RUNNING)
                .first()
            )
            if project is None:
                continue
            risk = risk_raise_from_signal(project=project, signal=signal, text=text, today=today)
            if risk is not None:
                raised.append(Raised(risk, project))
    return raised


def risk_dues(today: dt.date) -> Iterator[Due]:
    for item in risk_sweep(today):
        if item.project.manager_id is None:
            continue
        yield Due(
            kind=RISK_RAISED,
            recipient_ids=[item.project.manager_id],
            title=format_lazy(
                gettext_lazy("项目 {project} 识别到风险：{risk}"),
                project=item.project.name,
                risk=item.risk.signal_text or item.risk.title,
            ),
            dedupe_key=f"project-risk-raised:{item.risk.pk}",
            url=reverse("projects:risks", args=[item.project.pk]),
            subject_model="projects.project",
            subject_id=str(item.project.pk),
        )


def register() -> None:
    register_kind(NotificationKind(RISK_RAISED, gettext_lazy("项目风险预警")))
    register_rule(
        Rule("projects_risk_signals", gettext_lazy("项目风险信号检查"), risk_dues, order=80)
    )


__all__ = ["RISK_RAISED", "register", "risk_sweep", "signals"]
