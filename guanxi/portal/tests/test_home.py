"""The portal home: a fixed number of queries however many records the company has, each
list the newest few with its full count, and the two ticket lists (one query) equal to what
a plain per-status read gives."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.portal import selectors
from guanxi.portal.tests.conftest import make_company
from guanxi.service.models import Ticket, TicketStatus
from guanxi.service.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

URL = "/portal/"
# The session, the user, the portal account (with its company and contact), the two ticket
# lists with their counts, change requests, deliverables, surveys, projects.
HOME_QUERIES = 8


def _tickets(company, statuses: list[str]) -> list[Ticket]:
    now = timezone.now()
    done = {TicketStatus.RESOLVED, TicketStatus.CLOSED}
    return [
        TicketFactory(
            customer=company.customer,
            status=status,
            subject=f"批量{i}",
            resolved_at=now if status in done else None,
            closed_at=now if status == TicketStatus.CLOSED else None,
        )
        for i, status in enumerate(statuses)
    ]


def test_the_home_costs_the_same_queries_for_many_records(
    client, company_a, django_assert_num_queries
):
    make_company("乙")  # another company's records stay out
    _tickets(company_a, [TicketStatus.WAITING] * 12 + [TicketStatus.OPEN] * 9 + ["closed"] * 5)
    client.force_login(company_a.user)
    client.get(URL)

    with django_assert_num_queries(HOME_QUERIES):
        page = client.get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    # The fixture's ticket waits too: 13 waiting, 9 open (the badges count all of them).
    assert 'id="home-awaiting-count">13<' in html
    assert 'id="home-open-count">9<' in html
    assert 'id="home-surveys-count">1<' in html
    assert len(re.findall(r'href="/portal/tickets/\d+/"', html)) == 2 * selectors.HOME_LIMIT


def test_the_counts_and_lists_are_the_companys_alone(company_a, company_b):
    _tickets(company_b, [TicketStatus.WAITING] * 3 + [TicketStatus.NEW] * 2)

    home = selectors.home(account=company_a.account)

    assert [t.pk for t in home["awaiting"]] == [company_a.ticket.pk]
    assert (home["awaiting_total"], home["open_total"]) == (1, 0)
    assert home["open_tickets"] == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statuses=st.lists(st.sampled_from([s.value for s in TicketStatus]), min_size=0, max_size=16))
def test_the_one_query_lists_equal_the_per_status_reads(company_a, statuses):
    Ticket.objects.filter(customer=company_a.customer).delete()
    _tickets(company_a, statuses)
    account = company_a.account
    limit = selectors.HOME_LIMIT

    home = selectors.home(account=account)

    waiting = selectors.tickets(account=account, status=TicketStatus.WAITING)
    others = selectors.tickets(account=account, status="open").exclude(status=TicketStatus.WAITING)
    assert [t.pk for t in home["awaiting"]] == list(waiting.values_list("pk", flat=True)[:limit])
    assert [t.pk for t in home["open_tickets"]] == list(others.values_list("pk", flat=True)[:limit])
    assert home["awaiting_total"] == waiting.count()
    assert home["open_total"] == others.count()
