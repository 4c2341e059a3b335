"""The demo's forecast and targets: both pages have content on the first visit, and the
targets show the two warnings (far from history, members not adding up)."""

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role, User
from guanxi.demo.build import build_demo
from guanxi.sales.models import Target

TODAY = dt.date(2026, 11, 24)
pytestmark = pytest.mark.django_db


def test_demo_forecast_and_targets_have_content(client):
    build_demo(customers=60, today=TODAY)
    assert Target.objects.filter(owner__isnull=True).exists()
    manager = User.objects.filter(role=Role.MANAGER, team__isnull=False).first()
    admin = User.objects.filter(role=Role.ADMIN).first()
    client.force_login(admin)
    period = f"{TODAY:%Y-%m}"
    forecast = client.get(reverse("sales:forecast"), {"start": period})
    assert forecast.status_code == 200
    assert forecast.context["forecast"].total.open_amount > 0
    page = client.get(reverse("sales:targets"), {"period": period})
    rows = page.context["data"].rows
    assert rows
    assert any(r.warning for r in rows)
    assert any(r.members_warning for r in rows)
    assert manager is not None
