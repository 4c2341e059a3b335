"""The risk register: score and heat map (hypothesis: the cells sum to the open risks),
the contingency reserve that cannot be overdrawn, each CRM signal rule raising exactly one
risk that names it (and no duplicate while it is open), the lessons search, and the API's
scope and validation."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from guanxi.analytics.models import AnalyticsRun, RunStatus, ValueSnapshot
from guanxi.contracts.models import Contract, Instalment
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects import risk_signals, selectors_risks
from guanxi.projects.models import (
    RISK_SCALE,
    ChangeRequest,
    LessonLearned,
    Risk,
    RiskReserveDraw,
    RiskSignal,
    RiskStatus,
)
from guanxi.projects.services import projects as project_services
from guanxi.projects.services import risks as services
from guanxi.projects.tests.factories import PLAN_START
from guanxi.service.models import FollowUp, Survey, SurveyKind
from guanxi.service.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/projects"
TODAY = dt.date(2027, 6, 1)
QUERIES_RISK_PAGE = 10
QUERIES_LESSON_SEARCH = 4


@pytest.fixture
def project(am_a):
    return project_services.project_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a).pk,
        data={"name": "数据平台", "start_date": PLAN_START},
    )  # fmt: skip


def _risk(actor, project, **data):
    return services.risk_create(
        actor=actor, project_id=project.pk, data={"title": "关键人员流失", **data}
    )


# --- score and heat map --------------------------------------------------------------------


def test_score_is_probability_times_impact_and_follows_edits(am_a, project):
    risk = _risk(am_a, project, probability=4, impact=5)
    assert (risk.number, risk.score) == (1, 20)
    risk = services.risk_update(
        actor=am_a, project_id=project.pk, risk_id=risk.pk, data={"impact": 2}, version=1
    )
    assert risk.score == 8 and risk.version == 2
    assert _risk(am_a, project).number == 2
    assert AuditEntry.objects.filter(model="projects.risk", object_id=str(risk.pk)).count() == 2


def test_bad_scales_are_refused_naming_each_field_and_nothing_is_written(am_a, project):
    with pytest.raises(ValidationFailed) as caught:
        _risk(am_a, project, probability=6, impact=0, category="nope", contingency_budget="-1")
    assert set(caught.value.errors) == {"probability", "impact", "category", "contingency_budget"}
    assert not Risk.objects.exists()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(RISK_SCALE), st.sampled_from(RISK_SCALE),
            st.sampled_from(RiskStatus.values),
        ),
        max_size=60,
    )
)  # fmt: skip
def test_heat_map_cells_sum_to_the_open_risks(risks):
    counted = Counter((p, i) for p, i, status in risks if status != RiskStatus.CLOSED)
    rows = selectors_risks.heat_map_from((p, i, n) for (p, i), n in counted.items())
    assert len(rows) == 5 and all(len(row) == 5 for row in rows)
    assert sum(c.count for row in rows for c in row) == sum(
        1 for _p, _i, s in risks if s != RiskStatus.CLOSED
    )
    assert [row[0].impact for row in rows] == [5, 4, 3, 2, 1]
    assert [c.probability for c in rows[0]] == [1, 2, 3, 4, 5]
    for row in rows:
        for cell in row:
            assert cell.count == counted.get((cell.probability, cell.impact), 0)


def test_heat_map_counts_open_risks_per_cell_in_one_query(am_a, project, django_assert_num_queries):
    _risk(am_a, project, probability=5, impact=5)
    _risk(am_a, project, probability=5, impact=5, status="mitigating")
    _risk(am_a, project, probability=1, impact=2, status="occurred")
    _risk(am_a, project, probability=3, impact=3, status="closed")
    with django_assert_num_queries(1):
        rows = selectors_risks.heat_map(project=project)
    cells = {(c.probability, c.impact): c.count for row in rows for c in row}
    assert cells[(5, 5)] == 2 and cells[(1, 2)] == 1 and cells[(3, 3)] == 0
    assert sum(cells.values()) == 3


# --- the contingency reserve ---------------------------------------------------------------


def test_draws_track_the_reserve_and_an_overdraw_is_refused_naming_amount(am_a, project):
    risk = _risk(am_a, project, contingency_budget="10000")
    services.reserve_draw(actor=am_a, project_id=project.pk, risk_id=risk.pk, amount="6000.50")
    with pytest.raises(ValidationFailed) as caught:
        services.reserve_draw(actor=am_a, project_id=project.pk, risk_id=risk.pk, amount="4000")
    assert "amount" in caught.value.errors
    assert "3999.50" in caught.value.errors["amount"][0]
    risk.refresh_from_db()
    assert risk.reserve_used == Decimal("6000.50") and risk.reserve_left == Decimal("3999.50")
    assert RiskReserveDraw.objects.filter(risk=risk).count() == 1
    summary = selectors_risks.reserve_summary(project=project)
    assert (summary.budget, summary.used, summary.left) == (
        Decimal("10000.00"), Decimal("6000.50"), Decimal("3999.50"),
    )  # fmt: skip


def test_the_budget_cannot_go_below_what_was_drawn(am_a, project):
    risk = _risk(am_a, project, contingency_budget="500")
    services.reserve_draw(actor=am_a, project_id=project.pk, risk_id=risk.pk, amount="400")
    risk.refresh_from_db()
    with pytest.raises(ValidationFailed) as caught:
        services.risk_update(
            actor=am_a, project_id=project.pk, risk_id=risk.pk,
            data={"contingency_budget": "300"}, version=risk.version,
        )  # fmt: skip
    assert list(caught.value.errors) == ["contingency_budget"]
    risk.refresh_from_db()
    assert risk.contingency_budget == Decimal("500.00")


def test_zero_or_negative_draws_are_refused(am_a, project):
    risk = _risk(am_a, project, contingency_budget="500")
    for amount in ("0", "-5", "abc"):
        with pytest.raises(ValidationFailed) as caught:
            services.reserve_draw(actor=am_a, project_id=project.pk, risk_id=risk.pk, amount=amount)
        assert list(caught.value.errors) == ["amount"]
    assert not RiskReserveDraw.objects.exists()


def test_another_departments_user_cannot_touch_the_register(am_b, am_a, project):
    risk = _risk(am_a, project)
    with pytest.raises(NotFound):
        _risk(am_b, project)
    with pytest.raises(NotFound):
        services.reserve_draw(actor=am_b, project_id=project.pk, risk_id=risk.pk, amount="1")


def test_a_reader_who_may_not_change_the_project_is_refused(agent, am_a, project):
    with pytest.raises((PermissionDenied, NotFound)):
        _risk(agent, project)


# --- the CRM signal rules ------------------------------------------------------------------


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def _csat(customer, day: dt.date, score: int) -> Survey:
    return Survey.objects.create(
        kind=SurveyKind.CSAT, token_hash=f"{customer.pk}-{day}-{score}-{Survey.objects.count()}",
        ticket=TicketFactory(customer=customer), customer=customer, email="a@example.com",
        sent_at=_at(day), expires_at=_at(day + dt.timedelta(days=14)), score=score,
        answered_at=_at(day),
    )  # fmt: skip


def _falling_satisfaction(project):
    for days_ago, score in ((150, 5), (120, 5), (30, 3), (10, 3)):
        _csat(project.customer, TODAY - dt.timedelta(days=days_ago), score)


def _many_change_requests(project):
    for number in range(1, risk_signals.change_request_threshold() + 1):
        ChangeRequest.objects.create(project=project, number=number, title=f"变更{number}")


def _overdue_visit(project):
    FollowUp.objects.create(
        reason="closed", customer=project.customer, owner=project.customer.owner,
        due_date=TODAY - dt.timedelta(days=3),
    )  # fmt: skip


def _slipped_value_class(project):
    run = AnalyticsRun.objects.create(
        status=RunStatus.SUCCEEDED, has_snapshot=True, finished_at=timezone.now()
    )
    ValueSnapshot.objects.create(
        run=run, customer=project.customer, value_class="silver", previous_class="gold",
        rfm_segment="unclassified", revenue=Decimal("100"), average_amount=Decimal("50"),
    )  # fmt: skip


def _overdue_collection(project):
    contract = Contract.objects.create(
        number=f"HT-{project.pk}", title="实施合同", customer=project.customer,
        amount=Decimal("100000"), start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31),
    )  # fmt: skip
    Instalment.objects.create(
        contract=contract, sequence=1, due_date=TODAY - dt.timedelta(days=10),
        amount=Decimal("30000"), received=Decimal("5000"), status="overdue",
        customer=project.customer, owner=project.customer.owner,
    )  # fmt: skip


SCENES = {
    RiskSignal.SATISFACTION: (_falling_satisfaction, "CSAT"),
    RiskSignal.CHANGE_REQUESTS: (_many_change_requests, "需求变更"),
    RiskSignal.OVERDUE_VISITS: (_overdue_visit, "回访逾期"),
    RiskSignal.VALUE_CLASS: (_slipped_value_class, "白银客户"),
    RiskSignal.OVERDUE_COLLECTIONS: (_overdue_collection, "25,000.00"),
}


@pytest.mark.parametrize("signal", list(SCENES))
def test_each_signal_raises_exactly_one_risk_naming_it(signal, project):
    scene, seen = SCENES[signal]
    scene(project)

    dues = list(risk_signals.risk_dues(TODAY))

    risk = Risk.objects.get(project=project)
    assert risk.signal == signal and seen in risk.signal_text
    assert risk.owner_id == project.manager_id and risk.status == RiskStatus.OPEN
    assert [d.recipient_ids for d in dues] == [[project.manager_id]]
    assert dues[0].dedupe_key == f"project-risk-raised:{risk.pk}"
    entry = TimelineEntry.objects.get(customer=project.customer, data__risk=risk.pk)
    assert entry.data["signal"] == signal
    # The rule runs again (another day, another worker): no duplicate while it is open.
    assert list(risk_signals.risk_dues(TODAY)) == []
    assert Risk.objects.filter(project=project).count() == 1


def test_a_closed_signal_risk_lets_the_signal_raise_again(am_a, project):
    _overdue_visit(project)
    risk_signals.risk_sweep(TODAY)
    risk = Risk.objects.get(project=project)
    services.risk_update(
        actor=am_a, project_id=project.pk, risk_id=risk.pk, data={"status": "closed"},
        version=risk.version,
    )  # fmt: skip
    raised = risk_signals.risk_sweep(TODAY)
    assert [r.risk.signal for r in raised] == [RiskSignal.OVERDUE_VISITS]
    assert Risk.objects.filter(project=project).count() == 2
    # ... and the closed one cannot be reopened beside the new open one.
    with pytest.raises(ValidationFailed) as caught:
        services.risk_update(
            actor=am_a, project_id=project.pk, risk_id=risk.pk, data={"status": "open"},
            version=risk.version + 1,
        )  # fmt: skip
    assert list(caught.value.errors) == ["status"]


def test_signals_skip_closed_projects_and_quiet_customers(project):
    _overdue_visit(project)
    type(project).objects.filter(pk=project.pk).update(status="closed")
    quiet = project_services.project_create(
        actor=project.manager, customer_id=CustomerFactory(owner=project.manager).pk,
        data={"name": "安静的项目", "start_date": PLAN_START},
    )  # fmt: skip
    _csat(quiet.customer, TODAY - dt.timedelta(days=5), 5)
    assert risk_signals.risk_sweep(TODAY) == []
    assert not Risk.objects.exists()


def test_all_signals_at_once_raise_one_risk_each(project):
    for scene, _seen in SCENES.values():
        scene(project)
    raised = risk_signals.risk_sweep(TODAY)
    assert sorted(r.risk.signal for r in raised) == sorted(SCENES)
    assert sorted(Risk.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]


def test_the_rule_is_registered():
    from guanxi.notifications.registry import get_rule

    assert get_rule("projects_risk_signals").run is risk_signals.risk_dues


# --- lessons -------------------------------------------------------------------------------


def test_lessons_search_matches_text_tags_and_pinyin_within_scope(am_a, am_b, project):
    services.lesson_add(
        actor=am_a, project_id=project.pk, category="to_change", text="需求调研要请客户签字确认",
        tags="需求, 签字",
    )  # fmt: skip
    services.lesson_add(actor=am_a, project_id=project.pk, category="went_well", text="每周例会")
    other = project_services.project_create(
        actor=am_b, customer_id=CustomerFactory(owner=am_b).pk,
        data={"name": "别的部门", "start_date": PLAN_START},
    )  # fmt: skip
    services.lesson_add(actor=am_b, project_id=other.pk, category="to_change", text="需求变更太多")

    def texts(actor, **kw):
        return sorted(x.text for x in selectors_risks.lesson_search(actor=actor, **kw))

    assert texts(am_a, query="需求") == ["需求调研要请客户签字确认"]
    assert texts(am_a, query="qianzi") == ["需求调研要请客户签字确认"]
    assert texts(am_a, query="签字") == ["需求调研要请客户签字确认"]
    assert texts(am_a, category="went_well") == ["每周例会"]
    assert texts(am_b, query="需求") == ["需求变更太多"]


def test_a_lesson_needs_text_and_a_known_category(am_a, project):
    with pytest.raises(ValidationFailed) as caught:
        services.lesson_add(actor=am_a, project_id=project.pk, category="x", text="  ")
    assert set(caught.value.errors) == {"category", "text"}
    assert not LessonLearned.objects.exists()


# --- API -----------------------------------------------------------------------------------


def test_api_register_round_trip(client, am_a, project):
    client.force_login(am_a)
    created = client.post(
        f"{API}/{project.pk}/risks",
        {"title": "供应商延期", "probability": 4, "impact": 4, "contingency_budget": "2000"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["score"] == 16 and body["reserve_left"] == "2000.00"
    risk_id = body["id"]
    draw = client.post(
        f"{API}/{project.pk}/risks/{risk_id}/draws", {"amount": "2500"},
        content_type="application/json",
    )  # fmt: skip
    assert draw.status_code == 422 and "amount" in draw.content.decode()
    ok = client.post(
        f"{API}/{project.pk}/risks/{risk_id}/draws", {"amount": "500", "note": "加急"},
        content_type="application/json",
    )  # fmt: skip
    assert ok.status_code == 201
    heat = client.get(f"{API}/{project.pk}/risk-heatmap").json()
    assert heat["open_risks"] == 1 and heat["reserve_left"] == "1500.00"
    assert heat["rows"][1][3] == {
        "probability": 4, "impact": 4, "score": 16, "level": "high", "count": 1,
    }  # fmt: skip
    cell = client.get(f"{API}/{project.pk}/risks", {"probability": 4, "impact": 4}).json()
    assert [r["id"] for r in cell["items"]] == [risk_id]
    stale = client.patch(
        f"{API}/{project.pk}/risks/{risk_id}", {"version": 1, "impact": 1},
        content_type="application/json",
    )  # fmt: skip
    assert stale.status_code == 409


def test_api_refuses_bad_input_naming_the_field(client, am_a, project):
    client.force_login(am_a)
    for body, field in (
        ({"title": "x", "probability": 9}, "probability"),
        ({"title": "x", "contingency_budget": "1e20"}, "contingency_budget"),
        ({"title": "x", "review_date": "1999-12-31"}, "review_date"),
        ({"title": ""}, "title"),
    ):
        response = client.post(f"{API}/{project.pk}/risks", body, content_type="application/json")
        assert response.status_code == 422, body
        assert field in response.content.decode()
    null = client.post(f"{API}/{project.pk}/risks", "null", content_type="application/json")
    assert null.status_code in (400, 422)
    assert not Risk.objects.exists()


def test_api_scope_other_department_gets_404(client, am_a, am_b, project):
    risk = _risk(am_a, project)
    client.force_login(am_b)
    for method, url in (
        ("get", f"{API}/{project.pk}/risks"),
        ("get", f"{API}/{project.pk}/risks/{risk.pk}"),
        ("get", f"{API}/{project.pk}/risk-heatmap"),
        ("get", f"{API}/{project.pk}/closure"),
    ):
        assert getattr(client, method)(url).status_code == 404, url
    response = client.post(
        f"{API}/{project.pk}/risks", {"title": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert client.get(f"{API}/lessons/search").json()["count"] == 0


def test_risk_pages_render_with_the_heat_map_filter(client, am_a, project):
    _risk(am_a, project, probability=2, impact=5)
    _risk(am_a, project, probability=4, impact=1)
    client.force_login(am_a)
    page = client.get(f"/projects/{project.pk}/risks/", {"p": 2, "i": 5})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-cell="2-5" data-count="1"' in html and html.count('data-risk="') == 1
    created = client.post(
        f"/projects/{project.pk}/risks/", {"title": "页面登记", "probability": "3", "impact": "3"}
    )
    assert created.status_code == 302
    bad = client.post(f"/projects/{project.pk}/risks/", {"title": "", "probability": "9"})
    assert bad.status_code == 422
    assert Risk.objects.filter(project=project).count() == 3
    assert client.get("/projects/lessons/", {"q": "x"}).status_code == 200


def test_risk_page_query_count_does_not_grow_with_risks(
    client, am_a, project, django_assert_max_num_queries
):
    for n in range(12):
        _risk(am_a, project, probability=n % 5 + 1, impact=(n * 2) % 5 + 1, owner_id=am_a.pk)
    client.force_login(am_a)
    with django_assert_max_num_queries(QUERIES_RISK_PAGE):
        assert client.get(f"/projects/{project.pk}/risks/").status_code == 200


def test_lesson_search_api_query_count(client, am_a, project, django_assert_max_num_queries):
    for n in range(12):
        services.lesson_add(
            actor=am_a, project_id=project.pk, category="went_well", text=f"例会{n}"
        )
    client.force_login(am_a)
    with django_assert_max_num_queries(QUERIES_LESSON_SEARCH):
        body = client.get(f"{API}/lessons/search", {"q": "例会"}).json()
    assert body["count"] == 12
