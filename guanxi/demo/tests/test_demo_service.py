"""The demo's service desk (``guanxi.demo.seeders.service``): a year of tickets in every
state, the desk pages have content for the service agent, the data keeps the ticket
invariants."""

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.models import User
from guanxi.customers.models import TimelineEntry
from guanxi.demo.build import build_demo
from guanxi.service.models import SlaPolicy, Ticket, TicketStatus

TODAY = dt.date(2026, 11, 24)
pytestmark = pytest.mark.django_db


def test_demo_has_a_year_of_tickets_in_every_state(client):
    build_demo(customers=60, today=TODAY)
    assert SlaPolicy.objects.filter(value_class="platinum").exists()
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == set(TicketStatus.values)
    oldest = Ticket.objects.order_by("created_at").first()
    assert (TODAY - oldest.created_at.date()).days > 300
    assert not Ticket.objects.filter(status="closed", closed_at__isnull=True).exists()
    assert TimelineEntry.objects.filter(kind="ticket").count() == Ticket.objects.count()
    client.force_login(User.objects.get(username="sunli"))
    response = client.get(reverse("service:list"), {"queue": "mine"})
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="ticket-') >= 5
