from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "guanxi.analytics"
    label = "analytics"
    verbose_name = _("客户价值分析")

    def ready(self) -> None:
        from guanxi.accounts import permissions
        from guanxi.core.navigation import register_nav

        register_nav(
            key="analytics",
            label=_("价值分析"),
            url_name="analytics:dashboard",
            visible=permissions.is_staff_actor,
            namespaces=["analytics"],
            order=30,
        )
        register_customer_list_filters()
        from guanxi.analytics import reminders

        reminders.register()  # the dormant-customer reminder rule


def register_customer_list_filters() -> None:
    """The customer list's value filters: ``value_class`` and ``value_cell`` (a value-matrix
    cell "<amount band>-<cycle band>", e.g. "large-short"), used by the dashboard's links."""
    from guanxi.analytics.models import AmountBand, CycleBand, ValueClass
    from guanxi.customers.list_filters import ListFilter, register_list_filter

    def class_error(value: str) -> str | None:
        return None if value in ValueClass.values else str(_("无效的价值类别。"))

    def cell_error(value: str) -> str | None:
        amount, _sep, cycle = value.partition("-")
        valid = amount in AmountBand.values and cycle in CycleBand.values
        return None if valid else str(_("无效的价值矩阵单元格。"))

    def cell_apply(qs: Any, value: str) -> Any:
        amount, _sep, cycle = value.partition("-")
        return qs.filter(value__amount_band=amount, value__cycle_band=cycle)

    register_list_filter(
        ListFilter(
            param="value_class",
            error=class_error,
            apply=lambda qs, value: qs.filter(value__value_class=value),
        )
    )
    register_list_filter(ListFilter(param="value_cell", error=cell_error, apply=cell_apply))
