"""opportunity_create / _move / _win / _lose / activity_create."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.models import Opportunity
from guanxi.sales.services import opportunities as services
from guanxi.sales.tests.factories import LostReasonFactory, board
from guanxi.webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _create(actor, customer, stage=None, **data):
    data.setdefault("name", "ERP 项目")
    return services.opportunity_create(
        actor=actor, customer_id=customer.pk, data=data, stage_id=stage.pk if stage else None
    )


def test_create_audits_timelines_and_emits(am_a):
    _pipeline, stages = board()
    customer = CustomerFactory(owner=am_a)
    opp = _create(am_a, customer, amount="120000")
    assert opp.stage == stages[0] and opp.owner == am_a and opp.team_id == am_a.team_id
    assert opp.amount == Decimal("120000.00") and opp.position is not None
    assert AuditEntry.objects.filter(model="sales.opportunity", action="create").count() == 1
    entry = TimelineEntry.objects.get(customer=customer, kind="opportunity")
    assert "ERP 项目" in entry.title
    assert OutboxEvent.objects.filter(event="opportunity.created").count() == 1


def test_create_on_a_customer_out_of_scope_is_not_found(am_a, am_b):
    board()
    customer = CustomerFactory(owner=am_b)
    with pytest.raises(NotFound):
        _create(am_a, customer)
    assert not Opportunity.objects.exists()


def test_negative_amount_names_the_field(am_a):
    board()
    with pytest.raises(ValidationFailed) as exc:
        _create(am_a, CustomerFactory(owner=am_a), amount="-1")
    assert "amount" in exc.value.errors
    assert not Opportunity.objects.exists()


def test_entering_a_stage_checks_its_required_fields(am_a):
    _p, stages = board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    with pytest.raises(ValidationFailed) as exc:
        services.opportunity_move(actor=am_a, opportunity_id=opp.pk, stage_id=stages[2].pk,
                                  index=0, version=opp.version)  # fmt: skip
    assert set(exc.value.errors) == {"amount", "expected_close"}
    opp.refresh_from_db()
    assert opp.stage == stages[0] and opp.version == 1


def test_stale_move_is_a_conflict_and_changes_nothing(am_a):
    _p, stages = board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    services.opportunity_move(actor=am_a, opportunity_id=opp.pk, stage_id=stages[1].pk,
                              index=0, version=1)  # fmt: skip
    with pytest.raises(Conflict):
        services.opportunity_move(actor=am_a, opportunity_id=opp.pk, stage_id=stages[0].pk,
                                  index=0, version=1)  # fmt: skip
    opp.refresh_from_db()
    assert opp.stage == stages[1] and opp.version == 2


def test_move_into_lost_stage_is_refused(am_a):
    _p, stages = board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    with pytest.raises(ValidationFailed) as exc:
        services.opportunity_move(actor=am_a, opportunity_id=opp.pk, stage_id=stages[4].pk,
                                  index=0, version=1)  # fmt: skip
    assert "stage_id" in exc.value.errors


def test_move_into_won_stage_wins(am_a):
    _p, stages = board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    opp = services.opportunity_move(actor=am_a, opportunity_id=opp.pk, stage_id=stages[3].pk,
                                    index=0, version=1)  # fmt: skip
    assert opp.status == "won" and opp.closed_at is not None
    assert OutboxEvent.objects.filter(event="opportunity.won").count() == 1


def test_win_moves_to_won_stage_and_emits(am_a):
    _p, stages = board()
    opp = _create(am_a, CustomerFactory(owner=am_a), amount="5000")
    opp = services.opportunity_win(actor=am_a, opportunity_id=opp.pk, version=1)
    assert opp.status == "won" and opp.stage == stages[3] and opp.version == 2
    assert OutboxEvent.objects.filter(event="opportunity.won").count() == 1
    assert TimelineEntry.objects.filter(kind="opportunity", title__contains="赢单").exists()


def test_lose_needs_a_known_reason(am_a):
    _p, stages = board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    with pytest.raises(ValidationFailed) as exc:
        services.opportunity_lose(actor=am_a, opportunity_id=opp.pk, version=1, reason="nope")
    assert "reason" in exc.value.errors
    reason = LostReasonFactory(code="price", label="价格太高")
    opp = services.opportunity_lose(actor=am_a, opportunity_id=opp.pk, version=1,
                                    reason=reason.code, note="贵了 20%")  # fmt: skip
    assert opp.status == "lost" and opp.stage == stages[4] and opp.reason == reason
    assert OutboxEvent.objects.filter(event="opportunity.lost").count() == 1


def test_invalid_leaves_the_board(am_a):
    board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    LostReasonFactory(code="spam", applies_to_invalid=True)
    opp = services.opportunity_lose(actor=am_a, opportunity_id=opp.pk, version=1,
                                    reason="spam", invalid=True)  # fmt: skip
    assert opp.status == "invalid" and opp.position is None
    assert not OutboxEvent.objects.filter(event="opportunity.lost").exists()


def test_other_account_manager_cannot_move(am_a, am_a2):
    _p, stages = board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    with pytest.raises(NotFound):  # own scope: not even visible
        services.opportunity_move(actor=am_a2, opportunity_id=opp.pk, stage_id=stages[1].pk,
                                  index=0, version=1)  # fmt: skip


def test_agent_reads_but_cannot_move(am_a, agent):
    _p, stages = board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    with pytest.raises(PermissionDenied):
        services.opportunity_move(actor=agent, opportunity_id=opp.pk, stage_id=stages[1].pk,
                                  index=0, version=1)  # fmt: skip


def test_activity_on_opportunity_goes_on_timeline(am_a):
    board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    activity = services.activity_create(actor=am_a, opportunity_id=opp.pk,
                                        data={"kind": "visit", "note": "上门演示"})  # fmt: skip
    assert activity.customer_id == opp.customer_id
    entry = TimelineEntry.objects.get(kind="activity")
    assert entry.body == "上门演示" and "拜访" in entry.title


def test_activity_in_the_future_is_refused(am_a):
    board()
    opp = _create(am_a, CustomerFactory(owner=am_a))
    future = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValidationFailed) as exc:
        services.activity_create(actor=am_a, opportunity_id=opp.pk,
                                 data={"kind": "call", "note": "x", "at": future})  # fmt: skip
    assert "at" in exc.value.errors


# --- invariants of the board -------------------------------------------------------------

moves = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 12), st.booleans()),
    min_size=1, max_size=25,
)  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=moves)
def test_moves_keep_each_column_a_permutation_in_the_asked_order(am_a, plan):
    """Model the board as lists; after every move (stale ones included) each column's
    cards in rank order are exactly the model's list, and a stale version changes nothing."""
    Opportunity.objects.all().delete()
    from guanxi.sales.models import Pipeline

    Pipeline.objects.all().delete()
    _p, stages = board()
    open_stages = stages[:2]
    customer = CustomerFactory(owner=am_a)
    cards = [_create(am_a, customer, stage=open_stages[i % 2], name=f"c{i}") for i in range(6)]
    model = {s.pk: [c.pk for c in cards if c.stage_id == s.pk] for s in open_stages}
    for card_i, stage_i, index, stale in plan:
        card = Opportunity.objects.get(pk=cards[card_i].pk)
        target = open_stages[stage_i % 2]
        version = card.version - 1 if stale else card.version
        try:
            services.opportunity_move(actor=am_a, opportunity_id=card.pk, stage_id=target.pk,
                                      index=index, version=version)  # fmt: skip
        except (Conflict, ValidationFailed):
            assert stale
            after = Opportunity.objects.get(pk=card.pk)
            assert (after.stage_id, after.position, after.version) == (
                card.stage_id,
                card.position,
                card.version,
            )
        else:
            assert not stale
            model[card.stage_id].remove(card.pk)
            column = model[target.pk]
            column.insert(min(index, len(column)), card.pk)
        for s in open_stages:
            actual = list(Opportunity.objects.filter(stage=s).order_by("position", "id")
                          .values_list("pk", flat=True))  # fmt: skip
            assert actual == model[s.pk]


def test_a_used_up_gap_renumbers_the_column(am_a):
    _p, stages = board()
    customer = CustomerFactory(owner=am_a)
    _a, b, c = (_create(am_a, customer, name=n) for n in "abc")
    for _ in range(15):  # always between the first two: the gap halves each time
        c.refresh_from_db()
        services.opportunity_move(actor=am_a, opportunity_id=c.pk, stage_id=stages[0].pk,
                                  index=1, version=c.version)  # fmt: skip
        b.refresh_from_db()
        services.opportunity_move(actor=am_a, opportunity_id=b.pk, stage_id=stages[0].pk,
                                  index=1, version=b.version)  # fmt: skip
    order = list(Opportunity.objects.filter(stage=stages[0]).order_by("position")
                 .values_list("name", flat=True))  # fmt: skip
    assert order == ["a", "b", "c"]
