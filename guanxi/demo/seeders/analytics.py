"""The demo's customer values (``analytics``), computed once the demo is committed so the
value columns, the 360 card and the dashboard have content on the first visit (later runs:
nightly or on demand)."""

from __future__ import annotations

from django.apps import apps

from guanxi.demo.seeders.accounts import ADMIN_USERNAME


def compute_values() -> str:
    if not apps.is_installed("guanxi.analytics"):
        return ""
    from guanxi.accounts.models import User
    from guanxi.analytics.services import analytics_recompute

    admin = User.objects.get(username=ADMIN_USERNAME)
    run = analytics_recompute(actor=admin)
    return f"客户价值已计算（{run.customers:,} 位客户）。 Customer values computed."
