"""The project's 挣值 (earned value) tab: KPI cards with their formulas, the S-curve (PV /
EV / AC, the baseline's planned finish and the forecast), the baselines (take, approve,
compare two side by side), the EVM settings and the weekly status reports (take one,
download it as CSV or XLSX). Reads through ``selectors_evm``, writes through
``services.baselines``."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.decorators import staff_required
from guanxi.accounts.services import security_log
from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.core.io.spreadsheet_export import write_csv, write_xlsx
from guanxi.projects import selectors, selectors_evm, selectors_kpi
from guanxi.projects.models import EacMethod, EvMethod
from guanxi.projects.services import baselines as services

EVM = "projects/evm.html"

# (key, label, formula shown beside it, kind): kind "money" or "index".
KPIS: tuple[tuple[str, Any, Any, str], ...] = (
    ("pv", gettext_lazy("计划价值 PV"), gettext_lazy("Σ 基线成本 × 计划进度"), "money"),
    ("ev", gettext_lazy("挣值 EV"), gettext_lazy("Σ 基线成本 × 完成比例"), "money"),
    ("ac", gettext_lazy("实际成本 AC"), gettext_lazy("Σ 已批准工时 × 费率 + 已批准费用"), "money"),
    ("sv", gettext_lazy("进度偏差 SV"), "EV − PV", "money"),
    ("cv", gettext_lazy("成本偏差 CV"), "EV − AC", "money"),
    ("spi", gettext_lazy("进度绩效指数 SPI"), "EV ÷ PV", "index"),
    ("cpi", gettext_lazy("成本绩效指数 CPI"), "EV ÷ AC", "index"),
    ("eac", gettext_lazy("完工估算 EAC"), "", "money"),
    ("etc", gettext_lazy("完工尚需估算 ETC"), "EAC − AC", "money"),
    ("vac", gettext_lazy("完工偏差 VAC"), "BAC − EAC", "money"),
    ("tcpi_bac", gettext_lazy("完工尚需绩效指数 TCPI（BAC）"), "(BAC − EV) ÷ (BAC − AC)", "index"),
    ("tcpi_eac", gettext_lazy("完工尚需绩效指数 TCPI（EAC）"), "(BAC − EV) ÷ (EAC − AC)", "index"),
)
EAC_FORMULAS: dict[str, Any] = {
    "cpi": "BAC ÷ CPI",
    "atypical": "AC + (BAC − EV)",
    "cpi_spi": "AC + (BAC − EV) ÷ (CPI × SPI)",
    "bottom_up": gettext_lazy("AC + ETC(自下而上)"),
}


def _may_use(request: HttpRequest) -> None:
    if not selectors.can_use(request.user):
        raise DjangoPermissionDenied


def _id(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**63 - 1 else None


def _error_text(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "；".join(m for msgs in exc.errors.values() for m in msgs)
    return exc.message


def _kpis(figures: Any) -> list[dict[str, Any]]:
    if figures is None:
        return []
    cards = []
    for key, label, formula, kind in KPIS:
        if key == "eac":
            formula = EAC_FORMULAS.get(figures.eac_method, "")
        cards.append(
            {"key": key, "label": label, "formula": formula, "kind": kind,
             "value": getattr(figures, key)}
        )  # fmt: skip
    return cards


def _context(request: HttpRequest, project: Any, error: str = "") -> dict[str, Any]:
    baselines = list(selectors_evm.baseline_list(project=project))
    by_id = {b.pk: b for b in baselines}
    chosen = by_id.get(_id(request.GET.get("baseline")) or 0)
    result = selectors_evm.evm_result(project=project, baseline=chosen)
    compare_a = by_id.get(_id(request.GET.get("a")) or 0)
    compare_b = by_id.get(_id(request.GET.get("b")) or 0)
    if compare_a is None and compare_b is None and len(baselines) >= 2:
        compare_a, compare_b = baselines[-2], baselines[-1]
    comparison = (
        selectors_evm.baseline_compare(a=compare_a, b=compare_b)
        if compare_a is not None and compare_b is not None and compare_a != compare_b
        else []
    )
    can_change = selectors.can_change(request.user, project)
    return {
        "project": project,
        "tab": "evm",
        "error": error,
        "result": result,
        "figures": result.figures,
        "kpis": _kpis(result.figures),
        "eac_variants": [
            (value, label, EAC_FORMULAS[value], getattr(result.figures, f"eac_{value}", None))
            for value, label in EacMethod.choices
        ]
        if result.figures
        else [],
        "curve": selectors_evm.s_curve(result),
        "task_rows": selectors_evm.evm_task_rows(result),
        "baselines": baselines,
        "compare_a": compare_a,
        "compare_b": compare_b,
        "comparison": comparison,
        "reports": list(selectors_evm.status_report_list(project=project)[:20]),
        "settings": result.settings,
        "ev_methods": EvMethod.choices,
        "eac_methods": EacMethod.choices,
        "can_change": can_change,
        "kpi": selectors_kpi.project_kpi(project=project),
    }


@require_GET
@staff_required
def evm_page(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk, with_members=True)
    return render(request, EVM, _context(request, project))


def _write(request: HttpRequest, pk: int, write: Callable[[], object]) -> HttpResponse:
    _may_use(request)
    try:
        write()
    except DomainError as exc:
        project = selectors.project_get(actor=request.user, project_id=pk)
        return render(request, EVM, _context(request, project, _error_text(exc)), status=exc.status)
    return redirect("projects:evm", pk)


@require_POST
@staff_required
def baseline_take(request: HttpRequest, pk: int) -> HttpResponse:
    def write() -> object:
        project = selectors.project_get(actor=request.user, project_id=pk, with_members=False)
        return services.take_baseline(
            project, actor=request.user, name=request.POST.get("name", ""),
            reason=request.POST.get("reason", ""),
        )  # fmt: skip

    return _write(request, pk, write)


@require_POST
@staff_required
def baseline_approve(request: HttpRequest, pk: int, baseline_id: int) -> HttpResponse:
    return _write(
        request, pk,
        lambda: services.baseline_approve(actor=request.user, project_id=pk,
                                          baseline_id=baseline_id),
    )  # fmt: skip


@require_POST
@staff_required
def settings_save(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    data: dict[str, Any] = {
        "ev_method": post.get("ev_method", ""),
        "eac_method": post.get("eac_method", ""),
        "allow_task_override": post.get("allow_task_override") == "1",
    }
    for name in ("spi_amber", "spi_red", "cpi_amber", "cpi_red"):
        data[name] = post.get(name, "")
    return _write(
        request, pk,
        lambda: services.evm_settings_update(actor=request.user, project_id=pk, data=data,
                                             version=_id(post.get("version"))),
    )  # fmt: skip


@require_POST
@staff_required
def report_take(request: HttpRequest, pk: int) -> HttpResponse:
    return _write(
        request, pk,
        lambda: services.status_report_create(actor=request.user, project_id=pk,
                                              summary=request.POST.get("summary", "")),
    )  # fmt: skip


REPORT_ROWS: tuple[tuple[str, Any], ...] = (
    ("bac", gettext_lazy("完工预算 BAC")),
    ("pv", gettext_lazy("计划价值 PV")),
    ("ev", gettext_lazy("挣值 EV")),
    ("ac", gettext_lazy("实际成本 AC")),
    ("sv", gettext_lazy("进度偏差 SV")),
    ("cv", gettext_lazy("成本偏差 CV")),
    ("spi", gettext_lazy("进度绩效指数 SPI")),
    ("cpi", gettext_lazy("成本绩效指数 CPI")),
    ("eac_cpi", "EAC = BAC ÷ CPI"),
    ("eac_atypical", "EAC = AC + (BAC − EV)"),
    ("eac_cpi_spi", "EAC = AC + (BAC − EV) ÷ (CPI × SPI)"),
    ("eac_bottom_up", "EAC = AC + ETC"),
    ("eac_method", gettext_lazy("采用的EAC公式")),
    ("eac", gettext_lazy("完工估算 EAC")),
    ("etc", gettext_lazy("完工尚需估算 ETC")),
    ("vac", gettext_lazy("完工偏差 VAC")),
    ("tcpi_bac", gettext_lazy("完工尚需绩效指数 TCPI（BAC）")),
    ("tcpi_eac", gettext_lazy("完工尚需绩效指数 TCPI（EAC）")),
    ("planned_finish", gettext_lazy("基线计划完成")),
    ("forecast_finish", gettext_lazy("预测完成")),
    ("rag", gettext_lazy("状态")),
)


def _cell(value: Any) -> object:
    # Figures are stored as text; amounts and indices go out as numbers (a text "-1000.00"
    # would be escaped as a possible formula), dates and names as text.
    if isinstance(value, str) and value[:1] in "-0123456789" and "-" not in value[1:]:
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


@require_GET
@staff_required
def report_download(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    """One status report as CSV (``?format=csv``, the default) or XLSX: a row per figure."""
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk, with_members=False)
    report = selectors_evm.status_report_get(project=project, report_id=report_id)
    kind = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    headers = [_("指标"), _("数值")]
    rows: list[list[object]] = [[_("项目"), project.name], [_("统计日期"), report.as_of]]
    rows += [[str(label), _cell(report.figures.get(key))] for key, label in REPORT_ROWS]
    if report.summary:
        rows.append([_("说明"), report.summary])
    buffer = io.BytesIO()
    if kind == "xlsx":
        write_xlsx(rows, headers, buffer, sheet_title=_("状态报告"))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        write_csv(rows, headers, buffer)
        content_type = "text/csv; charset=utf-8"
    security_log(
        actor=request.user, event="project_status_report_export", project=project.pk,
        report=report.pk, format=kind,
    )  # fmt: skip
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="status-report-{project.pk}-{report.as_of.isoformat()}.{kind}"'
    )
    return response
