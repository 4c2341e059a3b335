import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.tests.factories import UserFactory
from guanxi.analytics.models import CustomerValue
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.notifications.models import Notification
from guanxi.service.clock import business_seconds
from guanxi.service.models import Ticket
from guanxi.service.services import sla
from guanxi.service.services import tickets as services
from guanxi.service.tests.factories import SlaPolicyFactory

SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 30, 10, tzinfo=SH)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def customer(am_a):
    return CustomerFactory(owner=am_a)


def _value(customer, value_class):
    fields = {
        f.name: 0
        for f in CustomerValue._meta.concrete_fields
        if f.name not in ("customer",) and not f.null and not f.has_default()
    }
    fields.update(value_class=value_class)
    for f in CustomerValue._meta.concrete_fields:
        if f.get_internal_type() in ("DateField",) and not f.null and not f.has_default():
            fields[f.name] = dt.date(2026, 1, 1)
        if f.get_internal_type() in ("DateTimeField",) and not f.null and not f.has_default():
            fields[f.name] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return CustomerValue.objects.create(customer=customer, **fields)


def _ticket(actor, customer, now=MONDAY_10, **data):
    return services.ticket_create(
        actor=actor, customer_id=customer.pk, now=now, data={"subject": "故障", **data}
    )


def test_most_specific_policy_wins_and_value_class_counts(agent, customer):
    SlaPolicyFactory(name="默认", first_response_minutes=240, resolution_minutes=2400)
    SlaPolicyFactory(name="紧急", priority="urgent", first_response_minutes=60)
    SlaPolicyFactory(
        name="铂金紧急", priority="urgent", value_class="platinum", first_response_minutes=15
    )
    assert _ticket(agent, customer).sla_policy.name == "默认"
    assert _ticket(agent, customer, priority="urgent").sla_policy.name == "紧急"
    _value(customer, "platinum")
    ticket = _ticket(agent, customer, priority="urgent")
    assert ticket.sla_policy.name == "铂金紧急"
    assert ticket.first_response_due == MONDAY_10 + dt.timedelta(minutes=15)


def test_waiting_pauses_the_resolution_clock(agent, customer):
    SlaPolicyFactory(first_response_minutes=9999, resolution_minutes=480)
    ticket = _ticket(agent, customer)
    t = services.ticket_transition(
        actor=agent,
        ticket_id=ticket.pk,
        status="waiting",
        version=ticket.version,
        now=MONDAY_10 + 2 * HOUR,
    )
    assert t.resolution_due is None and t.resolution_elapsed == 2 * 3600
    # Two days later the customer answers: six hours remain.
    t = services.ticket_transition(
        actor=agent, ticket_id=t.pk, status="open", version=t.version, now=MONDAY_10 + 48 * HOUR
    )
    assert business_seconds(MONDAY_10 + 48 * HOUR, t.resolution_due) == 6 * 3600
    assert sla.sla_state(t, now=MONDAY_10 + 48 * HOUR) == "ok"


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pauses=st.lists(
        st.tuples(st.integers(1, 72 * 3600), st.integers(1, 240 * 3600)), min_size=1, max_size=4
    )
)
def test_pauses_add_nothing_to_the_resolution_clock(db, agent, customer, pauses):
    """Used business time equals the business time of the running spans only."""
    SlaPolicyFactory.reset_sequence()
    from guanxi.service.models import SlaPolicy

    SlaPolicy.objects.all().delete()
    SlaPolicyFactory(resolution_minutes=100_000)
    ticket = _ticket(agent, customer)
    now, running = MONDAY_10, 0
    for run, pause in pauses:
        running += business_seconds(now, now + dt.timedelta(seconds=run))
        now += dt.timedelta(seconds=run)
        ticket = services.ticket_transition(
            actor=agent, ticket_id=ticket.pk, status="waiting", version=ticket.version, now=now
        )
        now += dt.timedelta(seconds=pause)
        ticket = services.ticket_transition(
            actor=agent, ticket_id=ticket.pk, status="open", version=ticket.version, now=now
        )
    assert sla.resolution_used(ticket, now=now) == running


def test_sweep_warns_then_breaches_once_and_escalates(agent, customer, team_a):
    boss = UserFactory(username="boss", team=team_a)
    worker = UserFactory(username="worker", team=team_a, manager=boss)
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=120, warn_before_minutes=30)
    ticket = _ticket(agent, customer)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=worker)
    first = sla.sla_sweep(now=MONDAY_10 + dt.timedelta(minutes=20))
    assert (first.warned, first.breached) == (0, 0)
    warned = sla.sla_sweep(now=MONDAY_10 + dt.timedelta(minutes=40))
    assert (warned.warned, warned.breached) == (1, 0)
    assert Notification.objects.filter(recipient=worker, kind=sla.SLA_WARNING).count() == 1
    assert sla.sla_sweep(now=MONDAY_10 + dt.timedelta(minutes=45)).warned == 0
    breached = sla.sla_sweep(now=MONDAY_10 + dt.timedelta(minutes=61))
    assert breached.breached == 1  # the first-response clock
    ticket.refresh_from_db()
    assert ticket.priority == "high" and ticket.response_breached_at is not None
    assert Notification.objects.filter(recipient=boss, kind=sla.SLA_BREACH).count() == 1
    for minutes in (62, 90, 200):
        again = sla.sla_sweep(now=MONDAY_10 + dt.timedelta(minutes=minutes))
        assert again.breached <= 1
    ticket.refresh_from_db()
    # The resolution clock breached once too (at 120 min): two breaches, each once.
    assert ticket.resolution_breached_at is not None
    assert Notification.objects.filter(recipient=worker, kind=sla.SLA_BREACH).count() == 2
    assert ticket.priority == "urgent"
    assert sla.sla_sweep(now=MONDAY_10 + dt.timedelta(days=3)).breached == 0


def test_a_paused_ticket_does_not_breach(agent, customer):
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=120)
    ticket = _ticket(agent, customer)
    services.ticket_reply(
        actor=agent,
        ticket_id=ticket.pk,
        body="请提供序列号",
        status="waiting",
        now=MONDAY_10 + dt.timedelta(minutes=10),
    )
    result = sla.sla_sweep(now=MONDAY_10 + dt.timedelta(days=5))
    assert result.breached == 0
    assert (
        sla.sla_state(Ticket.objects.get(pk=ticket.pk), now=MONDAY_10 + dt.timedelta(days=5))
        == "paused"
    )


def test_sweep_query_count_does_not_grow_with_tickets(
    agent, customer, django_assert_max_num_queries
):
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=120)
    for _ in range(30):
        _ticket(agent, customer)
    with django_assert_max_num_queries(30):
        result = sla.sla_sweep(now=MONDAY_10 + dt.timedelta(days=2))
    assert result.breached == 60


def test_both_clocks_breached_in_one_sweep_count_as_two_steps_and_one_audit_entry(
    agent, customer, team_a
):
    from guanxi.core.models import AuditEntry

    boss = UserFactory(username="boss2", team=team_a)
    worker = UserFactory(username="worker2", team=team_a, manager=boss)
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=120)
    ticket = _ticket(agent, customer)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=worker)
    before = AuditEntry.objects.filter(model="service.ticket", object_id=str(ticket.pk)).count()
    result = sla.sla_sweep(now=MONDAY_10 + dt.timedelta(days=2))
    assert result.breached == 2
    ticket.refresh_from_db()
    assert ticket.response_breached_at == ticket.resolution_breached_at is not None
    assert ticket.priority == "urgent"  # normal → high → urgent, a step for each clock
    entries = AuditEntry.objects.filter(model="service.ticket", object_id=str(ticket.pk))
    assert entries.count() == before + 1
    changes = entries.latest("id").changes
    assert set(changes) == {"response_breached_at", "resolution_breached_at", "priority"}
    assert changes["priority"] == ["normal", "urgent"]
    for person in (worker, boss):  # the response and the resolution breach, each once
        assert Notification.objects.filter(recipient=person, kind=sla.SLA_BREACH).count() == 2
    assert sla.sla_sweep(now=MONDAY_10 + dt.timedelta(days=3)).breached == 0


def test_sweep_audits_old_to_new_of_exactly_the_rows_it_claims(agent, customer, team_a):
    from guanxi.core.models import AuditEntry

    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=600)
    fresh = _ticket(agent, customer, priority="urgent")
    answered = _ticket(agent, customer, priority="low")
    services.ticket_reply(actor=agent, ticket_id=answered.pk, body="已收到",
                          now=MONDAY_10 + dt.timedelta(minutes=5))  # fmt: skip
    claimed_before = _ticket(agent, customer)
    earlier = dt.datetime(2026, 11, 30, 3, tzinfo=dt.UTC)
    Ticket.objects.filter(pk=claimed_before.pk).update(response_breached_at=earlier)
    now = MONDAY_10 + dt.timedelta(hours=2)  # past the response target, not the resolution
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()

    result = sla.sla_sweep(now=now)

    assert result.breached == 1  # only the fresh ticket's response clock
    entries = AuditEntry.objects.filter(id__gt=last)
    assert list(entries.values_list("object_id", flat=True)) == [str(fresh.pk)]
    entry = entries.get()
    stamp = now.astimezone(dt.UTC).isoformat()
    assert entry.changes == {
        "response_breached_at": [None, stamp],
        "priority": ["urgent", "urgent"],
    }
    assert (entry.actor_id, entry.actor_label, entry.customer_id) == (None, "system", customer.pk)
    assert entry.object_repr == f"#{fresh.pk}"
    stored = Ticket.objects.get(pk=claimed_before.pk)
    assert stored.response_breached_at == earlier and stored.priority == "normal"


# The breach audit (one INSERT … SELECT), the claiming UPDATE, the count, four notification
# statements (each with its languages query and deliveries) and the two warning steps.
NUM_SWEEP_QUERIES = 23


@pytest.mark.parametrize("tickets", [1, 20])
def test_sweep_query_count_is_pinned(agent, customer, django_assert_num_queries, tickets):
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=120)
    worker = UserFactory(username="pinned", manager=UserFactory(username="pinned_boss"))
    for _ in range(tickets):
        Ticket.objects.filter(pk=_ticket(agent, customer).pk).update(assignee=worker)

    with django_assert_num_queries(NUM_SWEEP_QUERIES):
        result = sla.sla_sweep(now=MONDAY_10 + dt.timedelta(days=2))

    assert (result.breached, result.notified) == (2 * tickets, 4 * tickets)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    flags=st.lists(st.tuples(st.booleans(), st.sampled_from(["low", "normal", "urgent"])),
                   min_size=1, max_size=6),
)  # fmt: skip
def test_sql_audit_rows_equal_the_python_ones(db, agent, customer, flags):
    """``audit_bulk_update_sql`` writes what ``audit_bulk_update`` writes for the same rows."""
    from django.db.models import CharField, F, Q, Value

    from guanxi.core import audit
    from guanxi.core.models import AuditEntry

    made = [_ticket(agent, customer, priority=priority) for _flag, priority in flags]
    marked = [t.pk for t, (flag, _p) in zip(made, flags, strict=True) if flag]
    stamp = audit.plain(MONDAY_10)
    rows = Ticket.objects.filter(pk__in=[t.pk for t in made])
    AuditEntry.objects.all().delete()
    audit.audit_bulk_update_sql(
        actor=None, rows=rows,
        changes={"response_breached_at": audit.SqlChange(Value(None), Value(stamp),
                                                         Q(pk__in=marked)),
                 "priority": audit.SqlChange(F("priority"), Value("high"))},
        object_repr=sla.Concat(Value("#"), sla._text("id"), output_field=CharField()),
        customer=F("customer_id"),
    )  # fmt: skip
    fields = ("object_id", "object_repr", "customer_id", "changes", "actor_label", "action",
              "model", "source")  # fmt: skip
    by_sql = sorted(AuditEntry.objects.values_list(*fields))
    AuditEntry.objects.all().delete()
    audit.audit_bulk_update(actor=None, model=Ticket, rows=[
        (t.pk, f"#{t.pk}", customer.pk,
         {**({"response_breached_at": [None, stamp]} if t.pk in marked else {}),
          "priority": [t.priority, "high"]})
        for t in made
    ])  # fmt: skip
    assert by_sql == sorted(AuditEntry.objects.values_list(*fields))
    AuditEntry.objects.all().delete()
