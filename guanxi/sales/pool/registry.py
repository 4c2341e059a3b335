"""What the public pool plugs into the house (called from ``SalesConfig.ready()``): its menu
entry, its timeline kind, the 360 page's "公海" panel, the customer list's ``pool`` filter,
the reminder to owners and the daily recycle run as scheduled rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guanxi.accounts import permissions
from guanxi.customers.models import Customer
from guanxi.sales.models_pool import PoolCustomer
from guanxi.sales.pool import access, rules, selectors

PANEL = "sales/pool/customer_panel.html"
FILTER_VALUES = ("pooled", "locked")


def panel_context(request: HttpRequest, customer: Customer, can_change: bool) -> dict[str, Any]:
    actor = request.user
    pools = selectors.returnable_pools(actor=actor) if can_change and customer.owner_id else []
    return {
        "state": selectors.customer_pool_state(customer=customer),
        "pools": pools,
        "can_return": bool(pools),
        "can_lock": can_change and permissions.can_assign_owner(actor),
    }


def _filter_error(value: str) -> str | None:
    return None if value in FILTER_VALUES else str(_("无效的公海筛选。"))


def _filter_apply(qs: Any, value: str) -> Any:
    states = PoolCustomer.objects.filter(customer_id=OuterRef("pk"))
    if value == "pooled":
        return qs.filter(Exists(states.filter(pool__isnull=False)))
    return qs.filter(Exists(states.filter(locked=True)))


def register() -> None:
    from guanxi.core.navigation import register_nav
    from guanxi.customers.list_filters import ListFilter, register_list_filter
    from guanxi.customers.panels import CustomerPanel, register_panel
    from guanxi.customers.timeline import register_kind
    from guanxi.notifications.registry import Channel, NotificationKind, Rule, register_rule
    from guanxi.notifications.registry import register_kind as register_notification_kind

    register_nav(
        key="pool",
        label=pgettext_lazy("navigation", "公海"),
        url_name="sales:pool:list",
        visible=access.may_see_pools,
        namespaces=["sales:pool"],
        order=16,
    )
    register_kind(rules.TIMELINE_KIND, label=gettext_lazy("公海"), icon="⟲", color="warning")
    register_panel(
        CustomerPanel(
            key="pool", template=PANEL, refresh_template=f"{PANEL}#pool", context=panel_context,
            column="side", order=35,
        )
    )  # fmt: skip
    register_list_filter(ListFilter(param="pool", error=_filter_error, apply=_filter_apply))
    register_notification_kind(
        NotificationKind(
            rules.REMIND_KIND, gettext_lazy("客户即将退回公海"),
            default_channels=frozenset({Channel.INAPP, Channel.EMAIL}),
        )
    )  # fmt: skip
    # The reminder runs before the recycle run of the same day (``order``).
    register_rule(Rule("sales_pool_reminders", gettext_lazy("客户即将退回公海"), rules.reminders,
                       order=41))  # fmt: skip
    register_rule(Rule("sales_pool_recycle", gettext_lazy("公海自动回收"), rules.recycle_rule_run,
                       order=42))  # fmt: skip
