"""The analytics web UI: the customer-value dashboard (ECharts), the recompute button with
its progress bar, the CSV exports of the dashboard's tables, and the settings page.

Views parse input, call selectors (scoped by the actor) or one service, and render; the
chart data are the selectors' figures reshaped for ECharts here, which is presentation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.accounts.services import security_log
from guanxi.analytics import selectors, services
from guanxi.analytics.cost_sources import BASE_KEY, cost_sources, label_of
from guanxi.analytics.models import AnalyticsSettings, CustomerValue, SegmentMap, strategy_for
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.htmx import htmx
from guanxi.core.io.spreadsheet_export import iter_csv
from guanxi.customers import selectors as customer_selectors

DASHBOARD = "analytics/dashboard.html"
FILTER_LABELS = {
    "owner": gettext_lazy("客户经理"),
    "team": gettext_lazy("部门"),
    "region": gettext_lazy("地区（省份）"),
}


def _filters(request: HttpRequest) -> tuple[selectors.ValueFilters | None, list[tuple[str, str]]]:
    raw = {name: request.GET.get(name, "") for name in FILTER_LABELS}
    try:
        return selectors.validate_value_filters(raw), []
    except ValidationFailed as exc:
        errors = [
            (str(FILTER_LABELS.get(name, name)), message)
            for name, msgs in exc.errors.items()
            for message in msgs
        ]
        return None, errors


def _list_query(filters: selectors.ValueFilters) -> str:
    """The dashboard's filters as customer-list parameters (region is the province)."""
    params: dict[str, Any] = {}
    if filters.owner_id is not None:
        params["owner"] = filters.owner_id
    if filters.team_id is not None:
        params["team"] = filters.team_id
    if filters.region:
        params["province"] = filters.region
    return urlencode(params)


def _charts(data: dict[str, Any], list_query: str) -> dict[str, Any]:
    """The figures reshaped for ECharts, with translated labels."""
    customer_list = reverse("customers:list")
    matrix = data["matrix"]
    cycles = [c["code"] for c in matrix["cycles"]]
    amounts = [a["code"] for a in matrix["amounts"]]
    separator = "&" if list_query else ""
    cells = [
        {
            "value": [cycles.index(c["cycle"]), amounts.index(c["amount"]), c["count"]],
            "revenue": c["revenue"],
            "classLabel": c["class_label"],
            "valueClass": c["value_class"],
            "href": f"{customer_list}?{list_query}{separator}value_cell={c['cell']}",
        }
        for c in matrix["cells"]
    ]
    cohorts = data["cohorts"]
    cohort_cells = [
        [age, row, None if v is None else round(v * 100, 1)]
        for row, cohort in enumerate(cohorts.get("cohorts", []))
        for age, v in enumerate(cohort["retention"])
    ]
    return {
        "matrix": {
            "cycles": [c["label"] for c in matrix["cycles"]],
            "amounts": [a["label"] for a in matrix["amounts"]],
            "cells": cells,
        },
        "pareto": {
            "points": [
                [p["customers"] * 100, p["revenue"] * 100] for p in data["pareto"]["points"]
            ],
            "top": (data["pareto"]["top_share"] or 0) * 100,
        },
        "rfm": {
            "cells": [[fm, r, data["rfm"]["grid"][r][fm]] for r in range(5) for fm in range(5)],
        },
        "cohorts": {
            "rows": [f"{c['month']} ({c['size']})" for c in cohorts.get("cohorts", [])],
            "ages": list(range(len(cohorts["cohorts"][0]["retention"])))
            if cohorts.get("cohorts")
            else [],
            "cells": cohort_cells,
            "periods": [p["month"] for p in cohorts.get("periods", [])],
            "churn": [
                None if p["churn"] is None else round(p["churn"] * 100, 1)
                for p in cohorts.get("periods", [])
            ],
            # churned of active, for the tooltip (a rate of a handful of customers)
            "counts": [[p.get("churned"), p.get("active")] for p in cohorts.get("periods", [])],
        },
        "labels": {
            "customers": _("客户数"),
            "revenue": _("收入"),
            "customerShare": _("客户占比（%）"),
            "revenueShare": _("累计收入占比（%）"),
            "equality": _("平均分布"),
            "top20": _("前 20% 客户"),
            "recency": _("R（最近购买）"),
            "fm": _("FM（频次与金额）"),
            "monthsSince": _("首购后第几个月"),
            "retention": _("留存率（%）"),
            "churn": _("月流失率（%）"),
            "churnedOfActive": _("流失客户 / 月初活跃客户"),
        },
    }


@require_GET
@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    filters, filter_errors = _filters(request)
    context: dict[str, Any] = {
        "filter_errors": filter_errors,
        "params": request.GET,
        "owners": customer_selectors.owners(actor=request.user).only(
            "id", "username", "display_name", "first_name", "last_name"
        ),
        "teams": customer_selectors.teams(actor=request.user),
        "can_recompute": permissions.can_assign_owner(request.user),
        "can_settings": permissions.can_manage_settings(request.user),
        "active_run": selectors.active_run(actor=request.user),
    }
    if filters is not None:
        data = selectors.dashboard(actor=request.user, filters=filters)
        list_query = _list_query(filters)
        context.update(
            data=data,
            charts=_charts(data, list_query),
            list_query=list_query,
            export_query=request.GET.urlencode(),
            silver_variants=[
                (_("白银客户 · 大金额、长周期"), strategy_for("silver", "long", "large")),
                (_("白银客户 · 小金额、短周期"), strategy_for("silver", "short", "small")),
            ],
        )
    return render(request, DASHBOARD, context, status=400 if filter_errors else 200)


@require_POST
@staff_required
def recompute(request: HttpRequest) -> HttpResponse:
    """Queue a recompute; htmx gets the progress bar, a plain form post the dashboard."""
    job, _run = services.analytics_recompute_start(actor=request.user)
    if htmx(request):
        return render(request, "core/job_progress.html", {"job": job})
    messages.info(request, _("已开始重新计算客户价值。"))
    return redirect("analytics:dashboard")


# --- CSV export -------------------------------------------------------------------------------


def _name(value: CustomerValue) -> tuple[int, str, str]:
    owner = value.customer.owner
    return value.customer_id, value.customer.name, str(owner) if owner else ""


def _cost_keys() -> list[str]:
    """The cost-to-serve parts a value export has a column for: orders and communications,
    then every registered cost source (a source that contributed nothing shows 0.00)."""
    return [BASE_KEY, *(source.key for source in cost_sources())]


def _value_row(v: CustomerValue, cost_keys: Sequence[str]) -> list[Any]:
    parts = {key: amount for key, _label, amount in v.cost_items}
    return [
        *_name(v), v.get_value_class_display(), v.cell_label, v.get_rfm_segment_display(),
        v.orders, v.purchases, v.revenue, v.average_amount, v.average_cycle_days,
        v.first_purchase, v.last_purchase, v.customer_value, v.value_check, v.clv, v.p_alive,
        v.expected_purchases, v.expected_spend, v.propensity, v.cost_to_serve,
        *(parts.get(key, _ZERO) for key in cost_keys), v.profit, v.key_account, v.dormant,
    ]  # fmt: skip


def _value_headers(cost_keys: Sequence[str]) -> list[str]:
    parts = [
        _("服务成本：%(part)s") % {"part": _("订单与沟通") if key == BASE_KEY else label_of(key)}
        for key in cost_keys
    ]
    return [
        _("客户编号"), _("客户"), _("客户经理"), _("价值类别"), _("矩阵单元格"), _("RFM 细分"),
        _("订单数"), _("购买次数"), _("累计金额"), _("平均每次金额"), _("平均购买周期（天）"),
        _("首次购买"), _("最近购买"), _("客户价值（公式1）"), _("核定价值（公式2）"),
        _("预测客户终身价值"), _("活跃概率"), _("预测购买次数"), _("预测每次金额"),
        _("近期购买倾向"), _("服务成本"), *parts, _("利润"), _("大客户"), _("休眠"),
    ]  # fmt: skip


Table = tuple[Sequence[str], Iterable[Sequence[Any]]]
_ZERO = Decimal("0.00")


def _amount(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _export_matrix(actor: Any, filters: selectors.ValueFilters) -> Table:
    matrix = selectors.value_matrix(actor=actor, filters=filters)
    amounts = {a["code"]: a["label"] for a in matrix["amounts"]}
    cycles = {c["code"]: c["label"] for c in matrix["cycles"]}
    rows = [
        [amounts[c["amount"]], cycles[c["cycle"]], c["class_label"], c["count"],
         _amount(c["revenue"]), c["strategy"]]
        for c in matrix["cells"]
    ] + [
        ["", "", c["label"], c["count"], _amount(c["revenue"]), c["strategy"]]
        for c in matrix["classes"]
    ]  # fmt: skip
    headers = [_("金额档"), _("周期档"), _("价值类别"), _("客户数"), _("收入"), _("建议策略")]
    return headers, rows


def _export_pareto(actor: Any, filters: selectors.ValueFilters) -> Table:
    qs = selectors.values_queryset(actor=actor, filters=filters).select_related(
        "customer", "customer__owner"
    )
    rows = (
        [v.revenue_rank, *_name(v), v.revenue, v.key_account]
        for v in qs.order_by("revenue_rank").iterator(chunk_size=2000)
    )
    return [_("收入排名"), _("客户编号"), _("客户"), _("客户经理"), _("累计金额"),
            _("大客户")], rows  # fmt: skip


def _export_rfm(actor: Any, filters: selectors.ValueFilters) -> Table:
    data = selectors.rfm_grid(actor=actor, filters=filters)
    rows = [[s["label"], s["count"], _amount(s["revenue"])] for s in data["segments"]]
    return [_("RFM 细分"), _("客户数"), _("收入")], rows


def _export_cohorts(actor: Any, filters: selectors.ValueFilters) -> Table:
    data = selectors.cohort_table(actor=actor, filters=filters)
    ages = len(data["cohorts"][0]["retention"]) if data["cohorts"] else 0
    headers = [_("首购月份"), _("客户数"), *[_("第 %(n)s 个月") % {"n": k} for k in range(ages)]]
    rows = [[c["month"], c["size"], *c["retention"]] for c in data["cohorts"]]
    return headers, rows


def _export_movement(actor: Any, filters: selectors.ValueFilters) -> Table:
    qs = selectors.movement_export(actor=actor, filters=filters)
    rows = (
        (
            [m["customer_id"], m["name"], m["old_label"], m["new_label"], m["reason_label"],
             m["old_cycle"], m["new_cycle"], m["old_amount"], m["new_amount"]]
            for m in map(selectors.mover_row, qs.iterator(chunk_size=2000))
        )
        if qs is not None
        else iter(())
    )  # fmt: skip
    headers = [
        _("客户编号"), _("客户"), _("原类别"), _("新类别"), _("原因"), _("原购买周期（天）"),
        _("新购买周期（天）"), _("原平均金额"), _("新平均金额"),
    ]  # fmt: skip
    return headers, rows


def _export_values(qs: Any) -> Table:
    keys = _cost_keys()
    return _value_headers(keys), (_value_row(v, keys) for v in qs.iterator(chunk_size=2000))


EXPORTS: dict[str, Callable[[Any, selectors.ValueFilters], Table]] = {
    "matrix": _export_matrix,
    "pareto": _export_pareto,
    "rfm": _export_rfm,
    "cohorts": _export_cohorts,
    "movement": _export_movement,
    "churn-risk": lambda actor, f: _export_values(
        selectors.churn_risk_queryset(actor=actor, filters=f)
    ),
    "propensity": lambda actor, f: _export_values(
        selectors.propensity_queryset(actor=actor, filters=f)
    ),
    "profitability": lambda actor, f: _export_values(
        selectors.values_queryset(actor=actor, filters=f)
        .select_related("customer", "customer__owner")
        .order_by("profit", "customer_id")
    ),
    "values": lambda actor, f: _export_values(
        selectors.values_queryset(actor=actor, filters=f)
        .select_related("customer", "customer__owner")
        .order_by("revenue_rank")
    ),
}


@require_GET
@staff_required
def export(request: HttpRequest, table: str) -> HttpResponse | StreamingHttpResponse:
    build = EXPORTS.get(table)
    if build is None:
        raise Http404
    filters, errors = _filters(request)
    if filters is None:
        return HttpResponse(
            "; ".join(f"{label}: {message}" for label, message in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    headers, rows = build(request.user, filters)
    security_log(
        actor=request.user, event="export", ip=request.META.get("REMOTE_ADDR"),
        what=f"analytics:{table}", filters=request.GET.urlencode()[:500],
    )  # fmt: skip
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(iter_csv(rows, headers), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="analytics-{table}-{stamp}.csv"'
    return response


# --- settings --------------------------------------------------------------------------------

SETTING_GROUPS: list[tuple[Any, list[str]]] = [
    (
        gettext_lazy("价值与预测"),
        ["discount_rate", "period_days", "horizon_periods", "gross_margin"],
    ),
    (
        gettext_lazy("价值矩阵分档（留空 = 按三分位数自动分档）"),
        [
            "cycle_threshold_short",
            "cycle_threshold_long",
            "amount_threshold_small",
            "amount_threshold_large",
        ],
    ),
    (gettext_lazy("RFM 与大客户"), ["rfm_segment_map", "key_account_share", "dormant_factor"]),
    (
        gettext_lazy("服务成本（赢利率）"),
        ["cost_per_order", "cost_per_communication", "cost_per_ticket"],
    ),
    (gettext_lazy("快照保留"), ["snapshots_kept", "snapshot_months_kept"]),
]


def _setting_fields(
    current: AnalyticsSettings, posted: Any, errors: dict[str, list[str]]
) -> list[tuple[Any, list[dict[str, Any]]]]:
    groups = []
    for title, names in SETTING_GROUPS:
        fields = []
        for name in names:
            field = AnalyticsSettings._meta.get_field(name)
            value = posted.get(name) if posted is not None else getattr(current, name)
            fields.append(
                {
                    "name": name,
                    "label": getattr(field, "verbose_name", name),
                    "value": "" if value is None else value,
                    "errors": errors.get(name, []),
                    "choices": SegmentMap.choices if name == "rfm_segment_map" else None,
                }
            )
        groups.append((title, fields))
    return groups


@require_http_methods(["GET", "POST"])
@staff_required
def settings_edit(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_settings(request.user):
        raise DjangoPermissionDenied
    current = selectors.settings_get(actor=request.user)
    errors: dict[str, list[str]] = {}
    posted = None
    status = 200
    if request.method == "POST":
        posted = request.POST
        changes = {name: request.POST.get(name, "") for name in services.SETTINGS_FIELDS}
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            services.analytics_settings_update(actor=request.user, version=version, changes=changes)
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        except Conflict as exc:
            errors, status = {"version": [exc.message]}, 409
        else:
            messages.success(request, _("分析设置已保存，下次重新计算时生效。"))
            return redirect("analytics:settings")
    context = {
        "settings": current,
        "groups": _setting_fields(current, posted, errors),
        "version_errors": errors.get("version", []),
    }
    return render(request, "analytics/settings.html", context, status=status)
