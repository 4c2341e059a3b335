"""The forecast and target pages (SPEC B3, B4): the forecast (chart, table by month / owner /
department, drill-down to the opportunity list, export), an opportunity's forecast card,
and the attainment dashboard with the managers' target forms. Reads through
``selectors_forecast`` / ``selectors_targets``, writes through ``services.forecast`` /
``services.targets``; pages for the roles that sell (``can_create_customer``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.errors import Conflict, DomainError, ValidationFailed
from guanxi.core.htmx import htmx
from guanxi.sales import selectors, selectors_forecast, selectors_targets
from guanxi.sales.models_targets import ForecastCategory, TargetMetric
from guanxi.sales.services import forecast as forecast_services
from guanxi.sales.services import targets as target_services

FORECAST = "sales/forecast/index.html"
CARD = "sales/forecast/_opportunity.html"
TARGETS = "sales/targets/index.html"
HISTORY = "sales/targets/_history.html"


def _may_sell(request: HttpRequest) -> None:
    if not permissions.can_create_customer(request.user):
        raise DjangoPermissionDenied


def _today() -> dt.date:
    return timezone.localdate()


def _version(raw: Any) -> int | None:
    try:
        value = int(str(raw))
    except ValueError:
        return None
    return value if 0 <= value <= 2**31 else None


@require_GET
@staff_required
def forecast_page(request: HttpRequest) -> HttpResponse:
    _may_sell(request)
    errors: dict[str, list[str]] = {}
    try:
        params = selectors_forecast.validate_params(request.GET, today=_today())
    except ValidationFailed as exc:
        errors = exc.errors
        params = selectors_forecast.validate_params({}, today=_today())
    result = selectors_forecast.forecast(actor=request.user, params=params)
    query = params.as_query()
    earlier = selectors_forecast.add_months(params.start, -params.months)
    context = {
        "forecast": result,
        "params": params,
        "errors": errors,
        "buckets": selectors_forecast.bucket_labels(),
        "owners": list(selectors_forecast.forecast_owners(actor=request.user)),
        "teams": selectors_forecast.forecast_teams(actor=request.user),
        "pipelines": list(selectors.pipelines(actor=request.user)),
        "chart": result.chart(),
        "can_export": permissions.can_export(request.user),
        "export_query": urlencode(query),
        "previous": urlencode({**query, "start": f"{earlier:%Y-%m}"}),
        "next": urlencode({**query, "start": f"{params.end:%Y-%m}"}),
    }  # fmt: skip
    return render(request, FORECAST, context, status=422 if errors else 200)


@require_http_methods(["GET", "POST"])
@staff_required
def opportunity_forecast(request: HttpRequest, pk: int) -> HttpResponse:
    """The forecast card of an opportunity's page (loaded by htmx): its category and own
    probability, and the form that changes them."""
    opportunity = selectors.opportunity_get(actor=request.user, opportunity_id=pk)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data = request.POST
        try:
            opportunity = forecast_services.opportunity_set_forecast(
                actor=request.user, opportunity_id=opportunity.pk,
                version=_version(data.get("version")), category=data.get("category", ""),
                probability=data.get("probability", ""),
            )  # fmt: skip
        except Conflict as exc:
            errors, status = {"version": [exc.message]}, 409
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        except DomainError as exc:
            if exc.status == 403:
                raise DjangoPermissionDenied(exc.message) from exc
            raise
        if not htmx(request) and status == 200:
            return redirect("sales:detail", opportunity.pk)
        opportunity = selectors.opportunity_get(actor=request.user, opportunity_id=pk)
    context = {
        "opportunity": opportunity,
        "can_change": selectors.can_change(request.user, opportunity),
        "categories": ForecastCategory.choices,
        "errors": errors,
        "posted": request.POST if errors else None,
    }
    return render(request, CARD, context, status=status)


# --- targets -------------------------------------------------------------------------------


def _targets_context(request: HttpRequest, period: selectors_targets.Period) -> dict[str, Any]:
    data = selectors_targets.attainment(actor=request.user, period=period)
    may_set = selectors_targets.can_set_targets(request.user)
    return {
        "data": data,
        "period": period,
        "previous": period.shifted(-1).key,
        "next": period.shifted(1).key,
        "kinds": [("month", _("月")), ("quarter", _("季度")), ("year", _("年"))],
        "kind_keys": {
            "month": f"{period.start:%Y-%m}",
            "quarter": f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}",
            "year": str(period.start.year),
        },
        "may_set": may_set,
        "may_configure": permissions.can_manage_settings(request.user),
        "metrics": TargetMetric.choices,
        "no_data": selectors_targets.no_data_yet(),
        "owners": list(selectors_targets.target_owners(actor=request.user)) if may_set else [],
        "teams": selectors_targets.target_teams(actor=request.user) if may_set else [],
        "months": range(1, 13),
    }


def _period(request: HttpRequest) -> tuple[selectors_targets.Period, dict[str, list[str]]]:
    try:
        return selectors_targets.parse_period(request.GET.get("period"), today=_today()), {}
    except ValidationFailed as exc:
        return selectors_targets.parse_period("", today=_today()), exc.errors


@require_GET
@staff_required
def targets_page(request: HttpRequest) -> HttpResponse:
    """Attainment of the period's targets, with the warnings; managers set targets here."""
    _may_sell(request)
    period, errors = _period(request)
    context = _targets_context(request, period)
    context["errors"] = errors
    return render(request, TARGETS, context, status=422 if errors else 200)


def _back(request: HttpRequest) -> str:
    period = str(request.POST.get("period") or "")[:10]
    url = reverse("sales:targets")
    return f"{url}?{urlencode({'period': period})}" if period else url


def _form_failed(request: HttpRequest, errors: dict[str, list[str]], status: int) -> HttpResponse:
    try:
        period = selectors_targets.parse_period(request.POST.get("period"), today=_today())
    except ValidationFailed:
        period = selectors_targets.parse_period("", today=_today())
    context = _targets_context(request, period)
    context.update(errors={}, form_errors=errors, posted=request.POST)
    return render(request, TARGETS, context, status=status)


def _run(request: HttpRequest, write: Any, done: str) -> HttpResponse:
    try:
        write()
    except Conflict as exc:
        return _form_failed(request, {exc.field or "version": [exc.message]}, 409)
    except ValidationFailed as exc:
        return _form_failed(request, exc.errors, 422)
    except DomainError as exc:
        if exc.status == 403:
            raise DjangoPermissionDenied(exc.message) from exc
        raise
    messages.success(request, done)
    return redirect(_back(request))


@require_POST
@staff_required
def target_new(request: HttpRequest) -> HttpResponse:
    _may_sell(request)
    data = request.POST
    subject = str(data.get("subject") or "")
    owner_id = subject[6:] if subject.startswith("owner:") else None
    team_id = subject[5:] if subject.startswith("team:") else None
    if owner_id is None and team_id is None:
        return _form_failed(request, {"subject": [_("请选择负责人或部门（二选一）。")]}, 422)
    return _run(
        request,
        lambda: target_services.target_set(
            actor=request.user,
            metric=data.get("metric"),
            year=data.get("year"),
            month=data.get("month"),
            value=data.get("value"),
            owner_id=owner_id,
            team_id=team_id,
            version=_version(data["version"]) if data.get("version") else None,
        ),
        _("已保存业绩目标。"),
    )


@require_POST
@staff_required
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_sell(request)
    return _run(
        request,
        lambda: target_services.target_update(
            actor=request.user,
            target_id=pk,
            value=request.POST.get("value"),
            version=_version(request.POST.get("version")),
        ),
        _("已保存业绩目标。"),
    )


@require_POST
@staff_required
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _may_sell(request)
    return _run(
        request,
        lambda: target_services.target_delete(
            actor=request.user, target_id=pk, version=_version(request.POST.get("version"))
        ),
        _("已删除业绩目标。"),
    )


@require_POST
@staff_required
def target_policy(request: HttpRequest) -> HttpResponse:
    _may_sell(request)
    return _run(
        request,
        lambda: target_services.target_policy_update(
            actor=request.user,
            band_percent=request.POST.get("band_percent"),
            history_months=request.POST.get("history_months"),
        ),
        _("已保存目标设置。"),
    )


@require_GET
@staff_required
def target_history(request: HttpRequest) -> HttpResponse:
    """The history beside the new-target form, for its subject, metric and month (htmx)."""
    _may_sell(request)
    data = request.GET
    subject = str(data.get("subject") or "")
    context: dict[str, Any] = {"history": None}
    try:
        year, month = int(str(data.get("year"))), int(str(data.get("month")))
        metric = str(data.get("metric") or "")
        kind, _sep, raw_id = subject.partition(":")
        subject_id = int(raw_id)
        if kind not in ("owner", "team") or metric not in TargetMetric.values:
            raise ValueError
        if not (2000 <= year <= 2100 and 1 <= month <= 12 and 1 <= subject_id <= 2**63 - 1):
            raise ValueError
    except ValueError:
        return render(request, HISTORY, context)
    if kind == "owner":
        ok = selectors_targets.target_owners(actor=request.user).filter(pk=subject_id).exists()
    else:
        ok = selectors_targets.can_set_target(request.user, owner_id=None, team_id=subject_id)
    if ok:
        context = dict(
            selectors_targets.target_history(
                actor=request.user,
                metric=metric,
                year=year,
                month=month,
                owner_id=subject_id if kind == "owner" else None,
                team_id=subject_id if kind == "team" else None,
            )
        )
    return render(request, HISTORY, context)
