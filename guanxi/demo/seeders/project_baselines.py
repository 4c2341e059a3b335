"""The demo's baselines and status reports (``projects``, issue 15 item 2): every project
that has a scheduled plan and has started gets an approved baseline 1 taken on its start;
about a third get a draft baseline 2 after a scope change; active projects get weekly
status reports for the last four weeks (EVM frozen as of each Friday).

Baselines and reports are written by the projects app's own services (frozen rows, audit,
timeline); only their times are moved back to the demo's calendar. Does nothing when no
project exists. Draws only from ``ctx.rng`` after the seeders before it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from guanxi.demo.context import Context
from guanxi.projects.models import Baseline, Project, ProjectStatus, StatusReport
from guanxi.projects.services.baselines import status_report_create, take_baseline


def _friday_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def seed_project_baselines(ctx: Context) -> None:
    projects = list(
        Project.objects.filter(start_date__lte=ctx.today, manager__isnull=False)
        .exclude(status=ProjectStatus.CANCELLED)
        .filter(tasks__start_date__isnull=False)
        .distinct()
        .select_related("manager", "customer")
        .order_by("pk")
    )
    if not projects:
        return
    made = reports = 0
    for project in projects:
        manager = project.manager
        start = ctx.at(project.start_date, 10)
        first = take_baseline(project, actor=manager, name="初始基线", reason="项目计划评审通过")
        Baseline.objects.filter(pk=first.pk).update(
            taken_at=start, approved=True, approved_at=start + dt.timedelta(hours=2),
            approved_by=manager,
        )  # fmt: skip
        made += 1
        if ctx.rng.random() < 0.35:
            second = take_baseline(
                project, actor=manager, name="需求变更后基线", reason="客户提出范围调整"
            )
            changed = min(ctx.today, project.start_date + dt.timedelta(days=21))
            Baseline.objects.filter(pk=second.pk).update(taken_at=ctx.at(changed, 15))
            made += 1
        if project.status != ProjectStatus.ACTIVE:
            continue
        friday = _friday_before(ctx.today)
        for weeks in (3, 2, 1, 0):
            as_of = friday - dt.timedelta(days=7 * weeks)
            if as_of < project.start_date:
                continue
            report = status_report_create(actor=manager, project_id=project.pk, as_of=as_of)
            StatusReport.objects.filter(pk=report.pk).update(
                created_at=timezone.make_aware(dt.datetime.combine(as_of, dt.time(17, 0)))
            )
            reports += 1
    ctx.counts["baselines"] += made
    ctx.counts["status_reports"] += reports
    ctx.log(f"基线 {made}，状态报告 {reports}")
