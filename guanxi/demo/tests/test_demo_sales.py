"""The demo's sales data (``guanxi.demo.seeders.sales``): every sales page has content for
the demo account manager on the first visit, the history spans two years, and the data
keeps the sales invariants."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from guanxi.accounts.models import User
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.demo.build import build_demo
from guanxi.sales.models import Activity, Lead, LeadStatus, Opportunity, Pipeline, StageKind

TODAY = dt.date(2026, 11, 24)
pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    return build_demo(customers=60, today=TODAY)


def _cards(html: str, stage_id: int) -> int:
    """Cards in one kanban column of the page."""
    column = html.split(f'id="col-{stage_id}"', 1)[1].split("</section>", 1)[0]
    return column.count('class="gx-card gx-kanban-card')


def test_every_sales_page_has_content_for_the_account_manager(client, loaded):
    lina = User.objects.get(username="lina")
    client.force_login(lina)
    standard = Pipeline.objects.get(is_default=True)
    response = client.get(reverse("sales:kanban", args=[standard.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for stage in standard.stages.all():
        assert _cards(html, stage.pk) >= 1, stage.name
    page = client.get(reverse("sales:list")).content.decode()
    assert page.count('href="/sales/opportunities/') >= 8
    mine = Opportunity.objects.filter(owner=lina, status="open").first()
    detail = client.get(reverse("sales:detail", args=[mine.pk])).content.decode()
    assert mine.name in detail
    assert "还没有跟进记录" not in detail  # every open opportunity has follow-ups
    leads = client.get(reverse("sales:leads")).content.decode()
    assert len(re.findall(r'href="/sales/leads/\d+/"', leads)) == (
        Lead.objects.filter(owner=lina).count()
    )


def test_the_manager_sees_the_leads_of_the_department_and_a_converted_one(client, loaded):
    # The lead list of someone who sees everything: every status of the demo is there.
    client.force_login(User.objects.get(username="admin"))
    html = client.get(reverse("sales:leads")).content.decode()
    assert len(re.findall(r'href="/sales/leads/\d+/"', html)) == 15
    converted = Lead.objects.filter(status=LeadStatus.CONVERTED).first()
    assert converted.converted_customer_id and converted.converted_opportunity_id
    detail = client.get(reverse("sales:lead_detail", args=[converted.pk]))
    assert detail.status_code == 200


def test_the_big_account_pipeline_has_content_for_its_team(client, loaded):
    client.force_login(User.objects.get(username="zhaolei"))
    key = Pipeline.objects.get(is_default=False)
    html = client.get(reverse("sales:kanban", args=[key.pk])).content.decode()
    for stage in key.stages.all():
        assert _cards(html, stage.pk) >= 1, stage.name


def test_history_spans_two_years_with_reasons_and_open_cards_are_ranked(loaded):
    closed = Opportunity.objects.exclude(status="open")
    assert closed.filter(status="won").count() >= 20
    assert closed.filter(status="lost").count() >= 20
    oldest = min(o.closed_at for o in closed).date()
    assert (TODAY - oldest).days > 365
    assert not closed.filter(status__in=["lost", "invalid"], reason__isnull=True).exists()
    assert not closed.filter(status="won", reason__isnull=False).exists()
    for o in Opportunity.objects.filter(status="open").select_related("stage"):
        assert o.stage.kind == StageKind.OPEN and o.position is not None
        assert o.customer.owner_id == o.owner_id and o.team_id == o.owner.team_id
        assert o.created_at.date() <= TODAY
    assert 55 <= Opportunity.objects.filter(status="open").count() <= 70
    assert not Activity.objects.filter(at__gt=dt.datetime(2026, 11, 25, tzinfo=dt.UTC)).exists()
    assert Lead.objects.count() == 15


def test_sales_rows_are_audited_and_on_the_timeline(loaded):
    n = Opportunity.objects.count()
    assert AuditEntry.objects.filter(model="sales.opportunity").count() == n
    closed = Opportunity.objects.exclude(status="open").count()
    assert TimelineEntry.objects.filter(kind="opportunity").count() == n + closed
    assert TimelineEntry.objects.filter(kind="activity").count() == Activity.objects.count()
    assert AuditEntry.objects.filter(model="sales.lead").count() == 15
