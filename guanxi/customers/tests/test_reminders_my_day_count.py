""" "My day"'s follow-up count: one query in two index-backed halves (logged by me / not
assigned on a customer I own) that counts exactly what the list shows, for any mix of
follow-ups, people and scopes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.customers import reminders
from guanxi.customers.models import Communication, Customer
from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 2)


def _reference(actor, today: dt.date) -> int:
    """The definition, as the single-OR query had it."""
    return reminders._open_until(actor, today).filter(reminders._mine(actor)).count()


follow_up = st.tuples(
    st.sampled_from(["a", "b", "m"]),  # the customer's owner: am_a, am_b, manager_a
    st.sampled_from(["a", "b", "m", None]),  # who logged it (None: nobody assigned)
    st.integers(min_value=-5, max_value=3),  # days from today
    st.booleans(),  # done
    st.booleans(),  # the customer is in the recycle bin
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(follow_up, max_size=12))
def test_the_count_is_the_definition_for_anyone(am_a, am_b, manager_a, rows):
    Communication.objects.all().delete()
    people = {"a": am_a, "b": am_b, "m": manager_a}
    for owner, staff, days, done, deleted in rows:
        customer = CustomerFactory(owner=people[owner])
        if deleted:
            Customer.objects.filter(pk=customer.pk).update(deleted_at=dt.datetime.now(dt.UTC))
        CommunicationFactory(
            customer=customer,
            staff=people[staff] if staff else None,
            next_follow_up=TODAY + dt.timedelta(days=days),
            follow_up_done=done,
        )
    for actor in people.values():
        assert reminders.my_follow_ups_count(actor, TODAY) == _reference(actor, TODAY)


def test_the_count_is_one_query_beside_the_scope_lookups(am_a):
    for staff in (am_a, None):
        CommunicationFactory(
            customer=CustomerFactory(owner=am_a), staff=staff, next_follow_up=TODAY
        )
    with CaptureQueriesContext(connection) as reference:
        _reference(am_a, TODAY)

    with CaptureQueriesContext(connection) as split:
        assert reminders.my_follow_ups_count(am_a, TODAY) == 2

    # The actor's scope was read (and kept) by the first call; the count is one query.
    assert len(reference) >= 1
    assert len(split) == 1
    assert "UNION ALL" in split[0]["sql"]
