"""Pages of the plan interchange, resource load and calendar feeds (issue 14 items 5–7):
upload an MS Project file as a new project, download a project's plan, the load heat map
and one person's load, the user's calendar feeds and the feed itself (``.ics``, public:
the secret token in the URL is the credential). Thin: selectors and services do the work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts.decorators import staff_required
from guanxi.accounts.models import User
from guanxi.core.errors import DomainError, NotFound, ValidationFailed
from guanxi.core.forms import add_domain_errors
from guanxi.core.limits import MAX_ID
from guanxi.projects import feeds, interchange, load, mspdi, selectors
from guanxi.projects.models import FeedKind

LOAD = "projects/load.html"
PERSON_LOAD = "projects/person_load.html"
FEEDS = "projects/feeds.html"
PLAN_IMPORT = "projects/plan_import.html"


def _may_use(request: HttpRequest) -> None:
    if not selectors.can_use(request.user):
        raise DjangoPermissionDenied(_("你的角色不能使用此功能。"))


# --- plan files -------------------------------------------------------------------------


class PlanImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("MS Project XML 文件"))
    customer = forms.IntegerField(label=gettext_lazy("客户编号"), min_value=1, max_value=MAX_ID)
    name = forms.CharField(label=gettext_lazy("项目名称（留空用文件里的）"), max_length=200,
                           required=False)  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def plan_import(request: HttpRequest) -> HttpResponse:
    """Upload an MSPDI file: a new project on the chosen customer with the file's tasks."""
    _may_use(request)
    if request.method != "POST":
        initial = {"customer": request.GET.get("customer")} if request.GET.get("customer") else {}
        return render(request, PLAN_IMPORT, {"form": PlanImportForm(initial=initial)})
    form = PlanImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > mspdi.MAX_BYTES:
                raise mspdi.MspdiError(
                    _("文件太大：%(size)s MB（最多 %(max)s MB）。")
                    % {"size": round(upload.size / 1024 / 1024, 1),
                       "max": mspdi.MAX_BYTES // 1024 // 1024}
                )  # fmt: skip
            result = interchange.plan_import(
                actor=request.user, data=upload.read(),
                customer_id=form.cleaned_data["customer"], name=form.cleaned_data["name"],
            )  # fmt: skip
        except (ValidationFailed, DomainError) as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request,
                _("已导入项目计划：%(tasks)s 个任务、%(links)s 条依赖。")
                % {"tasks": result.tasks, "links": result.links},
            )
            return redirect(result.project.get_absolute_url())
    return render(request, PLAN_IMPORT, {"form": form}, status=422)


@require_GET
@staff_required
def plan_download(request: HttpRequest, project_id: int) -> HttpResponse:
    _may_use(request)
    project, data = interchange.plan_export(actor=request.user, project_id=project_id)
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{interchange.plan_file_name(project)}"'
    )
    return response


# --- resource load ----------------------------------------------------------------------


def _load_params(request: HttpRequest) -> tuple[dt.date, int, dict[str, str]]:
    errors: dict[str, str] = {}
    start = timezone.localdate()
    raw = request.GET.get("start", "")
    if raw:
        try:
            start = dt.date.fromisoformat(raw[:10])
        except ValueError:
            errors["start"] = _("开始周须为日期（如 2026-03-02）。")
        else:
            if not 2000 <= start.year <= 2100:
                errors["start"] = _("开始周须在 2000 到 2100 年之间。")
                start = timezone.localdate()
    weeks = 12
    raw = request.GET.get("weeks", "")
    if raw:
        try:
            weeks = int(raw)
        except ValueError:
            weeks = 0
        if not 1 <= weeks <= load.MAX_WEEKS:
            errors["weeks"] = _("周数须为 1 到 %(max)s。") % {"max": load.MAX_WEEKS}
            weeks = 12
    return start, weeks, errors


def _heatmap(people: list[load.PersonLoad]) -> dict[str, Any]:
    """ECharts heat-map data: weeks across, people down, percent of capacity."""
    weeks = [w.week.isoformat() for w in people[0].weeks] if people else []
    cells = [
        [x, y, w.percent] for y, person in enumerate(people) for x, w in enumerate(person.weeks)
    ]
    return {"weeks": weeks, "people": [p.name for p in people], "cells": cells}


@require_GET
@staff_required
def load_view(request: HttpRequest) -> HttpResponse:
    """The heat map of everyone's weekly load across the projects the actor reads."""
    _may_use(request)
    start, weeks, errors = _load_params(request)
    people = load.load_by_person(actor=request.user, start=start, weeks=weeks)
    context = {
        "people": people, "start": load.week_start(start), "weeks": weeks, "errors": errors,
        "chart": _heatmap(people), "over": [p for p in people if p.over_weeks],
    }  # fmt: skip
    return render(request, LOAD, context, status=422 if errors else 200)


@require_GET
@staff_required
def person_load(request: HttpRequest, user_id: int) -> HttpResponse:
    """One person's weekly load (the panel of their page)."""
    _may_use(request)
    person = User.objects.filter(pk=user_id, is_active=True).exclude(role="portal").first()
    if person is None:
        raise Http404(_("用户不存在。"))
    start, weeks, errors = _load_params(request)
    rows = load.load_by_person(actor=request.user, start=start, weeks=weeks, user_ids=[person.pk])
    row = rows[0] if rows else None
    projects = {}
    if row is not None:
        ids = {p for w in row.weeks for p in w.projects}
        projects = dict(selectors.project_list(actor=request.user).filter(pk__in=ids)
                        .values_list("pk", "name"))  # fmt: skip
    weeks_rows = [
        (w, [(pid, projects.get(pid, f"#{pid}"), h) for pid, h in sorted(w.projects.items())])
        for w in (row.weeks if row else [])
    ]
    context = {"person": person, "row": row, "weeks_rows": weeks_rows,
               "start": load.week_start(start), "weeks": weeks, "errors": errors}  # fmt: skip
    return render(request, PERSON_LOAD, context, status=422 if errors else 200)


# --- calendar feeds ---------------------------------------------------------------------


class FeedForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=FeedKind.choices)
    project = forms.IntegerField(label=gettext_lazy("项目编号"), min_value=1, max_value=MAX_ID,
                                 required=False)  # fmt: skip


def _feed_url(request: HttpRequest, raw: str) -> str:
    return request.build_absolute_uri(f"/projects/feeds/{raw}.ics")


@require_http_methods(["GET", "POST"])
@staff_required
def feed_list(request: HttpRequest) -> HttpResponse:
    """The user's feeds; POST creates one and shows its URL on this response only."""
    _may_use(request)
    form = FeedForm(request.POST or None)
    created, url, status = None, "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                created, raw = feeds.feed_create(
                    actor=request.user, kind=form.cleaned_data["kind"],
                    project_id=form.cleaned_data["project"],
                )  # fmt: skip
            except (ValidationFailed, NotFound) as exc:
                add_domain_errors(form, exc)
            else:
                url, status, form = _feed_url(request, raw), 201, FeedForm()
    context = {
        "form": form, "feeds": feeds.feed_list(actor=request.user), "created": created,
        "url": url, "projects": selectors.project_list(actor=request.user)[:200],
    }  # fmt: skip
    return render(request, FEEDS, context, status=status)


@require_POST
@staff_required
def feed_revoke(request: HttpRequest, feed_id: int) -> HttpResponse:
    feeds.feed_revoke(actor=request.user, feed_id=feed_id)
    messages.success(request, _("订阅已撤销，旧链接不再可用。"))
    return redirect("projects:feeds")


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a calendar app fetches (no session: the token is the credential)."""
    try:
        feed = feeds.feed_resolve(token)
        text = feeds.feed_calendar(feed=feed, base_url=request.build_absolute_uri("/").rstrip("/"))
    except NotFound:
        raise Http404(_("订阅不存在。")) from None
    response = HttpResponse(text.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
