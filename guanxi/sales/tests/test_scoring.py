"""Win scores: training on a history whose signal is known, the reasons and their order,
the fallback to the stage's probability while history is short, the scheduled job, and
the invariants (a probability, the same model from the same history)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.periodic import periodic_jobs
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales import scoring
from guanxi.sales.models import Activity, Opportunity, WinModel
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _history(owner, stages, n: int = 80, *, seed: int = 3) -> None:
    """``n`` closed opportunities where the amount decides: small deals are won, large ones
    lost (with a little noise); nothing else carries the signal."""
    rnd = random.Random(seed)
    won_stage, lost_stage = stages[3], stages[4]
    customers = [CustomerFactory(owner=owner) for _i in range(4)]
    rows, created = [], []
    for i in range(n):
        small = i % 2 == 0
        won = small if rnd.random() > 0.1 else not small
        amount = Decimal(rnd.randint(800, 1500) if small else rnd.randint(40_000, 90_000))
        closed = NOW - dt.timedelta(days=rnd.randint(5, 600))
        created.append(closed - dt.timedelta(days=rnd.randint(10, 90)))
        rows.append(
            Opportunity(
                customer=rnd.choice(customers), pipeline=won_stage.pipeline,
                stage=won_stage if won else lost_stage, name=f"历史{i}", amount=amount,
                owner=owner, team=owner.team, status="won" if won else "lost", closed_at=closed,
            )
        )  # fmt: skip
    Opportunity.objects.bulk_create(rows)
    for row, at in zip(rows, created, strict=True):
        row.created_at = at
    Opportunity.objects.bulk_update(rows, ["created_at"])


@pytest.fixture
def seller():
    return UserFactory(role="account_manager")


def test_too_little_history_falls_back_to_the_stage_and_says_so(seller):
    _pipeline, stages = board()
    _history(seller, stages, n=20)
    opp = OpportunityFactory(stage=stages[1], owner=seller, customer=CustomerFactory(owner=seller))

    assert scoring.train() is None
    score = scoring.score_of(opp)

    assert score is not None and score.source == scoring.SOURCE_STAGE
    assert score.probability == pytest.approx(0.30)
    assert score.reasons == []
    assert "历史数据不足" in score.note and "20" in score.note and "30" in score.note
    with translation.override("en"):
        assert "Too little history" in scoring.score_of(opp).note


def test_the_model_learns_the_known_signal_and_ranks_by_it(seller):
    _pipeline, stages = board()
    _history(seller, stages, n=80)
    customer = CustomerFactory(owner=seller)
    small = OpportunityFactory(stage=stages[0], owner=seller, customer=customer,
                               amount=Decimal("1000"))  # fmt: skip
    large = OpportunityFactory(stage=stages[0], owner=seller, customer=customer,
                               amount=Decimal("80000"))  # fmt: skip

    model = scoring.train()

    assert model is not None and model.closed_count == 80
    assert model.metrics["auc"] > 0.8
    assert model.features == list(scoring.FEATURES)
    scores = scoring.scores_for([small, large])
    assert scores[small.pk].source == scoring.SOURCE_MODEL
    assert scores[small.pk].probability > 0.7 > 0.3 > scores[large.pk].probability
    # the amount is what moves both most, in words, with its direction
    top_small, top_large = scores[small.pk].reasons[0], scores[large.pk].reasons[0]
    assert (top_small.feature, top_small.raises) == ("amount", True)
    assert (top_large.feature, top_large.raises) == ("amount", False)
    assert top_large.text.startswith("金额高于历史中位数")
    assert "金额低于历史中位数" in top_small.text
    with translation.override("en"):
        text = scoring.score_of(large).reasons[0].text
    assert text.startswith("Amount") and "median" in text


def test_reasons_are_the_three_largest_contributions_in_order():
    model = WinModel(
        pk=1, features=list(scoring.FEATURES), intercept=0.0,
        coefficients=[0.1, -2.0, 0.0, 0.5, 1.0, 3.0, -0.2],
        means=[0.0] * 7, scales=[1.0] * 7,
        stats={"median_amount": {"all": 1000.0}, "owners": {"9": [9, 10]}, "global_rate": 0.4,
               "won_age_median": 30},
    )  # fmt: skip
    facts = scoring.Facts(
        pk=5, pipeline_id=1, owner_id=9, amount=1000.0, created_at=NOW - dt.timedelta(days=40),
        at=NOW, activities=2, last_activity=NOW - dt.timedelta(days=3), lines=1,
    )  # fmt: skip
    x = scoring.features(facts, model.stats)
    contributions = [c * v for c, v in zip(model.coefficients, x, strict=True)]

    score = scoring.score_facts(model, facts)

    expected = sorted(range(7), key=lambda i: -abs(contributions[i]))[:3]
    assert [r.feature for r in score.reasons] == [scoring.FEATURES[i] for i in expected]
    assert [r.weight for r in score.reasons] == [contributions[i] for i in expected]
    assert score.reasons[0].feature == "age" and not score.reasons[0].raises
    assert score.reasons[0].text == "已创建 40 天（赢单商机通常 30 天成交）"
    owner = next(r for r in score.reasons if r.feature == "owner_rate")
    assert owner.raises and owner.text == "负责人历史赢率 73%"  # (9 + 5×0.4) / (10 + 5)


def test_the_owner_rate_of_a_training_row_ignores_its_own_outcome():
    """One owner, alternating outcomes: a row's owner record counts only deals closed
    before it was created, so the feature cannot give the label away."""
    rows = []
    for i in range(6):
        created = NOW + dt.timedelta(days=10 * i)
        rows.append((i, 1, 7, 1, 100.0, created, created + dt.timedelta(days=5), i % 2 == 0,
                     0, None, 0))  # fmt: skip
    facts = scoring.facts_of_closed(rows)

    assert [f.owner_record for f in facts] == [(0, 0), (1, 1), (1, 2), (2, 3), (2, 4), (3, 5)]
    assert [f.customer_won for f in facts] == [0, 1, 1, 2, 2, 3]


def test_closed_opportunities_have_no_score_and_the_api_says_404(client, seller):
    _pipeline, stages = board()
    closed = OpportunityFactory(stage=stages[3], owner=seller, status="won", closed_at=NOW,
                                customer=CustomerFactory(owner=seller))  # fmt: skip
    client.force_login(seller)

    assert scoring.score_of(closed) is None
    response = client.get(f"/api/v1/sales/opportunities/{closed.pk}/score")
    assert response.status_code == 404


def test_score_api_page_and_kanban_badge(client, seller, django_assert_max_num_queries):
    pipeline, stages = board()
    _history(seller, stages, n=60)
    customer = CustomerFactory(owner=seller)
    opp = OpportunityFactory(stage=stages[0], owner=seller, customer=customer,
                             amount=Decimal("80000"))  # fmt: skip
    for _i in range(3):
        OpportunityFactory(stage=stages[1], owner=seller, customer=customer)
    Activity.objects.create(customer=customer, opportunity=opp, kind="call", note="电话",
                            at=NOW - dt.timedelta(days=2), actor=seller)  # fmt: skip
    scoring.train()
    client.force_login(seller)

    body = client.get(f"/api/v1/sales/opportunities/{opp.pk}/score").json()
    assert body["source"] == "model" and 0 <= body["probability"] <= 1
    assert body["percent"] == round(body["probability"] * 100)
    assert len(body["reasons"]) == 3
    assert body["reasons"][0] == {**body["reasons"][0], "feature": "amount", "effect": "lowers"}

    page = client.get(reverse("sales:detail", args=[opp.pk])).content.decode()
    assert 'id="win-score"' in page and "金额高于历史中位数" in page

    url = reverse("sales:kanban", args=[pipeline.pk])
    client.get(url)  # warm (sessions, content types)
    with django_assert_max_num_queries(16):
        board_page = client.get(url).content.decode()
    assert board_page.count("gx-win-score") == 4 and 'data-source="model"' in board_page


def test_the_other_sellers_opportunity_score_is_not_found(client, seller):
    _pipeline, stages = board()
    other = OpportunityFactory(stage=stages[0], customer=CustomerFactory())
    client.force_login(seller)

    response = client.get(f"/api/v1/sales/opportunities/{other.pk}/score")

    assert response.status_code == 404


def test_the_scheduled_job_trains_once_within_its_interval(seller):
    _pipeline, stages = board()
    _history(seller, stages, n=40)

    assert "sales.train_win_model" in {j.key for j in periodic_jobs()}
    first = scoring.train_scheduled()
    assert first is not None
    assert scoring.train_scheduled() is None  # a model of the last hours is fresh enough
    WinModel.objects.update(trained_at=NOW - dt.timedelta(days=1))
    assert scoring.train_scheduled() is not None
    assert WinModel.objects.count() == 2


def _facts(spec: list[tuple[int, int, bool]]) -> list[scoring.Facts]:
    rows = []
    for i, (amount, activities, won) in enumerate(spec):
        created = NOW - dt.timedelta(days=400 - i)
        rows.append((i, 1, 1 + i % 3, 1 + i % 5, float(amount), created,
                     created + dt.timedelta(days=20 + i % 7), won, activities,
                     created + dt.timedelta(days=3) if activities else None, i % 4))  # fmt: skip
    return scoring.facts_of_closed(rows)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 10**9), st.integers(0, 50), st.booleans()),
        min_size=scoring.MIN_CLOSED, max_size=80,
    ).filter(lambda s: scoring.MIN_EACH <= sum(w for *_x, w in s) <= len(s) - scoring.MIN_EACH),
    st.integers(0, 10**10),
    st.integers(0, 100),
)  # fmt: skip
def test_probability_is_a_probability_and_training_is_deterministic(spec, amount, activities):
    rows = _facts(spec)
    first, again = scoring.fit(rows), scoring.fit(list(rows))
    assert first == again
    model = WinModel(
        pk=1, features=list(scoring.FEATURES), coefficients=first.coefficients,
        intercept=first.intercept, means=first.means, scales=first.scales, stats=first.stats,
    )  # fmt: skip
    open_facts = scoring.Facts(
        pk=0, pipeline_id=1, owner_id=2, amount=float(amount), created_at=NOW, at=NOW,
        activities=activities,
    )  # fmt: skip
    score = scoring.score_facts(model, open_facts)
    assert 0.0 <= score.probability <= 1.0
    assert len(score.reasons) <= scoring.TOP_REASONS
    weights = [abs(r.weight) for r in score.reasons]
    assert weights == sorted(weights, reverse=True)
    assert score == scoring.score_facts(model, open_facts)
