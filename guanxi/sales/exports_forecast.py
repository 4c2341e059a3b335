"""The forecast as an export list (``guanxi.imports.registry``): one row per month, owner,
department and forecast bucket — the groups the forecast page sums — with the count, the
amount and the weighted amount; exported from the forecast page with its filters."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.imports import registry
from guanxi.imports.columns import Cells, Column, Row, field_column, text_column, user_column
from guanxi.sales import selectors_forecast

CENT = Decimal("0.01")
NAMES = ("owner__username", "owner__display_name", "owner__first_name", "owner__last_name",
         "team__name")  # fmt: skip


def _bucket(row: Row, _cells: Cells) -> str:
    return str(selectors_forecast.bucket_labels().get(row["bucket"], row["bucket"]))


def _month(row: Row, _cells: Cells) -> str:
    period = row["period"]
    return f"{period:%Y-%m}" if period else ""


def _weighted(row: Row, _cells: Cells) -> Decimal:
    return (Decimal(row["weighted_sum"] or 0) / 100).quantize(CENT)


COLUMNS: Final = (
    Column(_("月份"), ("period",), _month),
    Column(_("类别"), ("bucket",), _bucket),
    user_column("owner", _("负责人")),
    text_column("team__name", _("部门")),
    field_column("n", _("商机数")),
    field_column("total", _("金额")),
    Column(_("加权金额"), ("weighted_sum",), _weighted),
)


def _rows(actor: Any, params: Mapping[str, Any]) -> QuerySet[Any]:
    """The groups behind the forecast page for the same filters (start, months, owner,
    team, pipeline); a bad one is an error naming it."""
    parsed = selectors_forecast.validate_params(params, today=timezone.localdate())
    # Grouped by the (unique) names rather than the ids: the rows are a UNION, read and
    # ordered by exactly the columns it selects.
    return selectors_forecast.forecast_rows(actor=actor, params=parsed, by=NAMES).order_by(
        "period", "bucket", "owner__username", "team__name"
    )


EXPORT: Final = registry.ExportList(
    key="forecast",
    label=_("销售预测"),
    queryset=_rows,
    columns=COLUMNS,
    filters="the forecast page's filters (start YYYY-MM, months, owner, team, pipeline)",
    order=45,
    list_url="sales:forecast",
)

registry.register_export(EXPORT)
