"""``cost_sources``: the costs to serve other apps register (F8, issue 15) — the registry,
each source's grouped amounts, and the value run's cost to serve and profit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.analytics import cost_sources, services
from guanxi.analytics.models import CustomerValue
from guanxi.analytics.tests import builders
from guanxi.analytics.tests.builders import AS_OF
from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory
from guanxi.projects.cost_to_serve import overruns_by_customer
from guanxi.projects.models import (
    CostCategory,
    CostEntry,
    CostStatus,
    ProjectStatus,
    TimeEntry,
    TimeStatus,
)
from guanxi.projects.tests.factories import ProjectFactory, TaskFactory
from guanxi.service import selectors as service_selectors
from guanxi.service.models import Complaint
from guanxi.service.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

AFTER = dt.datetime(2025, 7, 3, 9, tzinfo=dt.UTC)  # after the as-of day: not counted
BEFORE = dt.datetime(2025, 6, 10, 9, tzinfo=dt.UTC)


@pytest.fixture
def only_sources() -> Iterator[dict[str, cost_sources.CostSource]]:
    """Run with only the sources a test registers; the apps' sources come back after."""
    saved = dict(cost_sources._SOURCES)
    cost_sources._SOURCES.clear()
    yield cost_sources._SOURCES
    cost_sources._SOURCES.clear()
    cost_sources._SOURCES.update(saved)


def _settings(admin_user, **changes: str) -> None:
    services.analytics_settings_update(
        actor=admin_user, version=builders.settings_version(), changes=changes
    )


def _buyer(owner, amount: str = "300.00"):
    customer = CustomerFactory(owner=owner)
    builders.add_orders(customer, builders.regular_orders(20, Decimal(amount)))  # 3 orders
    return customer


def _complaint(customer, amount: str, when: dt.datetime = BEFORE) -> Complaint:
    ticket = TicketFactory(customer=customer, category="complaint")
    complaint = Complaint.objects.create(
        ticket=ticket, compensation_amount=Decimal(amount), compensation_kind="refund"
    )
    Complaint.objects.filter(pk=complaint.pk).update(created_at=when)
    return complaint


def _tickets(customer, n: int, when: dt.datetime = BEFORE) -> None:
    for _ in range(n):
        ticket = TicketFactory(customer=customer)
        type(ticket).objects.filter(pk=ticket.pk).update(created_at=when)


def _project(customer, budget: str, costs: list[str], hours_cost: list[str] = (), **fields):
    project = ProjectFactory(customer=customer, budget=Decimal(budget), **fields)
    task = TaskFactory(project=project)
    for k, amount in enumerate(costs):
        CostEntry.objects.create(
            project=project, category=CostCategory.MATERIALS, amount=Decimal(amount),
            date=AS_OF - dt.timedelta(days=k), status=CostStatus.APPROVED,
        )  # fmt: skip
    for k, cost in enumerate(hours_cost):
        TimeEntry.objects.create(
            user=project.manager, project=project, task=task, hours=Decimal("8"),
            date=AS_OF - dt.timedelta(days=k), status=TimeStatus.APPROVED, cost=Decimal(cost),
        )  # fmt: skip
    return project


# --- the registry --------------------------------------------------------------------------


def test_the_apps_register_their_sources():
    keys = {s.key: s for s in cost_sources.cost_sources()}
    assert {"service.complaints", "service.tickets", "projects.overruns"} <= set(keys)
    assert keys["service.tickets"].rate == "cost_per_ticket"
    assert keys["service.complaints"].rate == "" and keys["projects.overruns"].rate == ""


def test_a_key_that_cannot_go_into_json_is_refused(only_sources):
    for key in ("nodot", 'a."b', "A.b", "a.b c", ""):
        with pytest.raises(ValueError):
            cost_sources.register_cost_source(key, "x", lambda ids, *, as_of: {})
    assert not only_sources


def test_amounts_are_aligned_with_the_customers_and_others_dropped(only_sources):
    cost_sources.register_cost_source(
        "t.rows", "rows", lambda ids, *, as_of: iter([(5, Decimal("1.25")), (9, 2), (5, 1)])
    )
    cost_sources.register_cost_source("t.map", "map", lambda ids, *, as_of: {3: Decimal("7")})
    cost_sources.register_cost_source("t.none", "none", lambda ids, *, as_of: {})
    ids = np.array([3, 5, 7], dtype=np.int64)
    got = cost_sources.source_amounts(ids, as_of=AS_OF, rates={})
    assert set(got) == {"t.rows", "t.map"}  # nothing found: left out
    assert got["t.rows"].tolist() == [0.0, 2.25, 0.0]  # customer 9 has no value row
    assert got["t.map"].tolist() == [7.0, 0.0, 0.0]


def test_a_rated_source_is_priced_and_not_asked_at_a_rate_of_zero(only_sources):
    asked: list[object] = []

    def counts(ids, *, as_of):
        asked.append(as_of)
        return [(1, 3)]

    cost_sources.register_cost_source("t.count", "count", counts, rate="cost_per_thing")
    ids = np.array([1], dtype=np.int64)
    assert cost_sources.source_amounts(ids, as_of=AS_OF, rates={"cost_per_thing": 0.0}) == {}
    assert asked == []
    got = cost_sources.source_amounts(ids, as_of=AS_OF, rates={"cost_per_thing": 2.5})
    assert got["t.count"].tolist() == [7.5] and asked == [AS_OF]


def test_the_breakdown_texts_are_json_of_the_non_zero_amounts():
    amounts = {
        "b.two": np.array([0.0, 2.5, 0.0, 1.0]),
        "a.one": np.array([0.0, 1.0, 0.0, 1.0]),
    }
    codes, texts = cost_sources.breakdown_json(amounts, 4)
    rows = [json.loads(texts[c]) for c in codes.tolist()]
    assert rows == [{}, {"a.one": "1.00", "b.two": "2.50"}, {}, {"a.one": "1.00", "b.two": "1.00"}]
    assert texts[0] == "{}" and codes[0] == codes[2] == 0
    assert cost_sources.breakdown_json({}, 2)[0].tolist() == [0, 0]


# --- each source's grouped amounts ---------------------------------------------------------


def test_complaint_compensation_per_customer_up_to_the_as_of_day(am_a):
    a, b = CustomerFactory(owner=am_a), CustomerFactory(owner=am_a)
    _complaint(a, "100")
    _complaint(a, "20.50")
    _complaint(a, "999", when=AFTER)
    _complaint(b, "7")
    source = {s.key: s for s in cost_sources.cost_sources()}["service.complaints"]
    assert dict(source.amounts(None, as_of=AS_OF)) == {a.pk: Decimal("120.50"), b.pk: 7}
    assert dict(source.amounts([b.pk], as_of=None)) == {b.pk: Decimal("7")}


def test_tickets_handled_per_customer_leave_out_merged_duplicates_and_later_ones(am_a):
    a, b = CustomerFactory(owner=am_a), CustomerFactory(owner=am_a)
    _tickets(a, 3)
    _tickets(a, 2, when=AFTER)
    _tickets(b, 1)
    duplicate = TicketFactory(customer=b)
    type(duplicate).objects.filter(pk=duplicate.pk).update(
        created_at=BEFORE, merged_into=TicketFactory(customer=b)
    )
    TicketFactory(customer=None)  # the unknown queue: nobody's cost
    before = cost_sources.day_end(AS_OF)
    rows = dict(service_selectors.tickets_by_customer(before=before))
    assert rows == {a.pk: 3, b.pk: 1}  # b's merge target was created now, after the as-of day
    assert dict(service_selectors.tickets_by_customer()) == {a.pk: 5, b.pk: 2}


def test_project_overruns_are_actual_cost_beyond_budget_summed_per_customer(am_a):
    a, b, c = (CustomerFactory(owner=am_a) for _ in range(3))
    _project(a, "1000", ["600", "300"], ["250.00"])  # 1,150 actual: 150 over
    _project(a, "500", ["200"], status=ProjectStatus.CLOSED)  # within budget: 0
    _project(a, "100", ["150"], status=ProjectStatus.ON_HOLD)  # 50 over
    _project(b, "100", ["900"], status=ProjectStatus.CANCELLED)  # cancelled: not counted
    _project(b, "0", ["900"])  # no budget: nothing to overrun
    late = _project(c, "100", ["80"])
    CostEntry.objects.create(
        project=late, category=CostCategory.TRAVEL, amount=Decimal("500"),
        date=AS_OF + dt.timedelta(days=1), status=CostStatus.APPROVED,
    )  # fmt: skip
    CostEntry.objects.create(
        project=late, category=CostCategory.TRAVEL, amount=Decimal("500"), date=AS_OF,
        status=CostStatus.PENDING,
    )  # fmt: skip
    rows = {k: v for k, v in overruns_by_customer(None, as_of=AS_OF) if v}
    assert rows == {a.pk: Decimal("200.00")}
    assert {k: v for k, v in overruns_by_customer([c.pk]) if v} == {c.pk: Decimal("480.00")}


def test_each_source_is_one_query_whatever_the_number_of_customers(am_a, admin_user):
    _settings(admin_user, cost_per_ticket="10")
    for _ in range(4):
        customer = CustomerFactory(owner=am_a)
        _complaint(customer, "5")
        _tickets(customer, 2)
        _project(customer, "10", ["20"])
    ids = np.array(sorted(CustomerFactory._meta.model.objects.values_list("pk", flat=True)))
    with CaptureQueriesContext(connection) as ctx:
        got = cost_sources.source_amounts(ids, as_of=AS_OF, rates={"cost_per_ticket": 10.0})
    assert len(ctx.captured_queries) == 3
    assert {k: float(v.sum()) for k, v in got.items()} == {
        "service.complaints": 20.0, "service.tickets": 80.0, "projects.overruns": 40.0,
    }  # fmt: skip


# --- the value run ---------------------------------------------------------------------------


def test_the_value_run_adds_every_source_to_the_cost_to_serve(admin_user, am_a):
    _settings(admin_user, cost_per_order="10.00", cost_per_communication="5.50",
              cost_per_ticket="12.00")  # fmt: skip
    served, plain = _buyer(am_a), _buyer(am_a)
    CommunicationFactory(customer=served, occurred_at=BEFORE)
    _complaint(served, "100")
    _tickets(served, 2)
    _project(served, "1000", ["1300"])
    run = services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    value = CustomerValue.objects.get(pk=served.pk)
    # 3 orders x 10 + 1 communication x 5.50 + 100 + 2 x 12 + 300
    assert value.cost_to_serve == Decimal("459.50")
    assert value.profit == value.revenue - value.cost_to_serve == Decimal("440.50")
    assert value.cost_breakdown == {
        "projects.overruns": "300.00", "service.complaints": "100.00", "service.tickets": "24.00",
    }  # fmt: skip
    assert [(k, a) for k, _label, a in value.cost_items] == [
        ("analytics.orders", Decimal("35.50")), ("projects.overruns", Decimal("300.00")),
        ("service.complaints", Decimal("100.00")), ("service.tickets", Decimal("24.00")),
    ]  # fmt: skip
    untouched = CustomerValue.objects.get(pk=plain.pk)
    assert untouched.cost_to_serve == Decimal("30.00") and untouched.cost_breakdown == {}
    assert run.parameters["cost_per_ticket"] == 12.0
    assert "cost_sources_s" in run.timings


def test_without_sources_the_value_run_is_unchanged(admin_user, am_a, only_sources):
    _settings(admin_user, cost_per_order="10.00", cost_per_ticket="12.00")
    customer = _buyer(am_a)
    _complaint(customer, "100")
    _tickets(customer, 2)
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    value = CustomerValue.objects.get(pk=customer.pk)
    assert value.cost_to_serve == Decimal("30.00") and value.profit == Decimal("870.00")
    assert value.cost_breakdown == {}
    assert [(k, a) for k, _l, a in value.cost_items] == [("analytics.orders", Decimal("30.00"))]


def test_the_sources_cost_one_query_each_in_the_value_run(admin_user, am_a, only_sources):
    def count_run() -> int:
        with CaptureQueriesContext(connection) as ctx:
            services.analytics_recompute(actor=admin_user, as_of=AS_OF)
        return len(ctx.captured_queries)

    for _ in range(3):
        _buyer(am_a)
    count_run()  # the first run has no previous snapshot: a few queries fewer
    without = count_run()
    cost_sources.register_cost_source(
        "t.one", "one", lambda ids, *, as_of: CustomerValue.objects.values_list("pk", "revenue")
    )
    cost_sources.register_cost_source(
        "t.two", "two", lambda ids, *, as_of: CustomerValue.objects.values_list("pk", "orders")
    )
    with_two = count_run()
    for _ in range(5):
        _buyer(am_a)
    assert with_two == without + 2
    assert count_run() == with_two  # more customers, the same queries


def test_the_cost_per_ticket_is_validated(admin_user):
    from guanxi.core.errors import ValidationFailed

    for bad in ("-1", "abc", "100000000"):
        with pytest.raises(ValidationFailed) as exc:
            _settings(admin_user, cost_per_ticket=bad)
        assert "cost_per_ticket" in exc.value.errors
    _settings(admin_user, cost_per_ticket="8.50")
    assert services.settings_current().cost_per_ticket == Decimal("8.50")


# --- where the breakdown is shown ----------------------------------------------------------


@pytest.fixture
def served(admin_user, am_a):
    _settings(admin_user, cost_per_order="10.00", cost_per_ticket="12.00")
    customer = _buyer(am_a)
    _complaint(customer, "100")
    _tickets(customer, 1)
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    return customer


def test_the_api_gives_the_cost_to_serve_by_source(served, am_a):
    from guanxi.customers.tests.test_api_support import Api

    body = Api(am_a).get(f"/analytics/customers/{served.pk}").json()
    assert body["cost_to_serve"] == "142.00" and body["profit"] == "758.00"
    assert body["cost_breakdown"] == [
        {"key": "analytics.orders", "label": "订单与沟通", "amount": "30.00"},
        {"key": "service.complaints", "label": "投诉补偿", "amount": "100.00"},
        {"key": "service.tickets", "label": "工单服务", "amount": "12.00"},
    ]
    listed = Api(am_a).get("/analytics/values").json()["items"][0]
    assert [i["key"] for i in listed["cost_breakdown"]][1:] == [
        "service.complaints", "service.tickets",
    ]  # fmt: skip


def test_the_openapi_schema_documents_the_breakdown(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert set(schema["CostToServeItemOut"]["properties"]) == {"key", "label", "amount"}
    assert "cost_breakdown" in schema["CustomerValueOut"]["required"]
    assert "cost_per_ticket" in schema["SettingsOut"]["properties"]


def test_the_value_card_shows_cost_profit_and_sources_in_both_languages(client, served, am_a):
    client.force_login(am_a)
    html = client.get(f"/customers/{served.pk}/").content.decode()
    assert 'id="customer-cost-breakdown"' in html
    for text in ("服务成本构成", "投诉补偿", "工单服务", "订单与沟通", "142.00", "758.00"):
        assert text in html
    english = client.get(f"/customers/{served.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    card = english[english.index('id="customer-value-card"') :]
    card = card[: card.index("</details>", card.index("customer-cost-breakdown"))]
    for text in ("Cost to serve by source", "Complaint compensation", "Service tickets"):
        assert text in card
    assert "投诉补偿" not in card and "服务成本构成" not in card
