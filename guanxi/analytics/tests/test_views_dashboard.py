"""The analytics web UI: dashboard (scope, filters, pinned queries), CSV export, recompute,
settings; and the value class on the customer list and the customer 360 page."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.analytics import services
from guanxi.analytics.models import AnalyticsSettings, DashboardAggregate
from guanxi.analytics.tests import builders
from guanxi.core.models import SecurityEvent
from guanxi.customers.tests.factories import CustomerFactory

AS_OF = builders.AS_OF


@pytest.fixture
def scene(admin_user, am_a, am_b):
    cache.clear()
    services.analytics_settings_update(
        actor=admin_user, version=builders.settings_version(),
        changes={"cycle_threshold_short": 30, "cycle_threshold_long": 90,
                 "amount_threshold_small": 100, "amount_threshold_large": 500},
    )  # fmt: skip
    grid = builders.grid_book(owner=am_a, province="浙江")
    other = CustomerFactory(owner=am_b, name="华南大客户", province="广东")
    builders.add_orders(other, builders.regular_orders(7, Decimal("2000.00")))
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    return {"grid": grid, "other": other}


def login(client, user):
    client.force_login(user)
    return client


def matrix_count(response, cell):
    cells = response.context["data"]["matrix"]["cells"]
    return next(c["count"] for c in cells if c["cell"] == cell)


def test_the_dashboard_shows_the_whole_company_to_an_admin(client, scene, admin_user):
    response = login(client, admin_user).get("/analytics/")
    assert response.status_code == 200
    assert matrix_count(response, "large-short") == 2
    html = response.content.decode()
    for part in ("value-matrix", "pareto", "rfm", "cohorts", "movement", "churn-risk",
                 "profitability", "gx-analytics-data", "echarts.min.js"):  # fmt: skip
        assert part in html, part
    # the seed's two pieces of silver advice are on the page
    assert "缩短其消费周期" in html and "不是营销重点" in html


def test_filtering_by_team_narrows_every_figure(client, scene, admin_user, am_b):
    response = login(client, admin_user).get("/analytics/", {"team": am_b.team_id})
    data = response.context["data"]
    assert data["matrix"]["total"] == 1
    assert data["pareto"]["customers"] == 1
    assert [v.customer_id for v in data["key_list"]] == [scene["other"].pk]
    assert f"team={am_b.team_id}" in response.context["charts"]["matrix"]["cells"][0]["href"]


def test_an_account_manager_sees_only_their_book(client, scene, am_a):
    response = login(client, am_a).get("/analytics/")
    assert response.context["data"]["matrix"]["total"] == 9
    assert "华南大客户" not in response.content.decode()
    # even when asking for the other team
    other_team = login(client, am_a).get("/analytics/", {"team": scene["other"].team_id})
    assert other_team.context["data"]["matrix"]["total"] == 0


def test_bad_filters_answer_400_with_the_field(client, scene, admin_user):
    response = login(client, admin_user).get("/analytics/", {"team": "abc"})
    assert response.status_code == 400
    assert "部门" in response.content.decode()
    assert "data" not in response.context


def test_the_dashboard_before_any_run(client, admin_user):
    cache.clear()
    response = login(client, admin_user).get("/analytics/")
    assert response.status_code == 200
    assert "还没有计算过客户价值" in response.content.decode()


def test_portal_users_are_forbidden(client, scene, portal_user):
    assert login(client, portal_user).get("/analytics/").status_code == 403


# Computed at render (nothing prepared, nothing cached). Session + user (2), latest run
# (1), active run (1); the figures: the prepared row looked up (1), one grouped scan for
# matrix, RFM and profit totals (1), churn page (1), movement: snapshot runs + matrix +
# movers (3), key list, propensity and least-profitable ids (3); the listed customers (1);
# owners and teams for the filters (2). The admin's unfiltered Pareto curve and cohort
# table come from the run itself.
DASHBOARD_QUERIES = 16
# A scoped actor's Pareto curve (settings + revenues) and cohorts (masks) are computed;
# + the ids of the customers shared with them (团队成员), read once per request and ORed
# into the scope only when there are any.
DASHBOARD_SCOPED_QUERIES = 20
# The first render after a recompute: the figures were prepared for the reader's scope
# (services.dashboard_prepare): session, user, latest run, active run, the prepared row,
# listed customers, owners, teams (+ the shared ids for a scoped actor).
DASHBOARD_PREPARED_QUERIES = 8
DASHBOARD_SCOPED_PREPARED_QUERIES = 9
# Figures from the cache: the same without the prepared row.
DASHBOARD_CACHED_QUERIES = 7
DASHBOARD_SCOPED_CACHED_QUERIES = 8


def dashboard_queries(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/analytics/").status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    ("who", "computed", "prepared", "cached"),
    [
        ("admin_user", DASHBOARD_QUERIES, DASHBOARD_PREPARED_QUERIES, DASHBOARD_CACHED_QUERIES),
        ("am_a", DASHBOARD_SCOPED_QUERIES, DASHBOARD_SCOPED_PREPARED_QUERIES,
         DASHBOARD_SCOPED_CACHED_QUERIES),
    ],
)  # fmt: skip
def test_dashboard_query_count_is_fixed(
    request, client, scene, admin_user, django_assert_num_queries, who, computed, prepared,
    cached,
):  # fmt: skip
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)  # a second snapshot: movement
    login(client, request.getfixturevalue(who))
    cache.clear()
    with django_assert_num_queries(prepared):
        client.get("/analytics/")
    with django_assert_num_queries(cached):
        client.get("/analytics/")
    DashboardAggregate.objects.all().delete()
    cache.clear()
    with django_assert_num_queries(computed):
        client.get("/analytics/")


def test_dashboard_query_count_does_not_grow_with_customers(client, scene, admin_user, am_a):
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    login(client, admin_user)
    few = dashboard_queries(client)
    for _ in range(15):
        customer = CustomerFactory(owner=am_a)
        builders.add_orders(customer, builders.regular_orders(45, Decimal("250.00")))
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    assert dashboard_queries(client) == few


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_exports_are_scoped_and_logged(client, scene, am_a):
    response = login(client, am_a).get("/analytics/export/values.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0][:3] == ["客户编号", "客户", "客户经理"]
    assert len(rows) == 1 + 9
    assert "华南大客户" not in {row[1] for row in rows}
    event = SecurityEvent.objects.get(event="export")
    assert event.actor == am_a and event.details["what"] == "analytics:values"


def test_the_values_export_breaks_the_cost_to_serve_down_by_source(client, scene, am_a):
    from guanxi.analytics.models import CustomerValue

    value = CustomerValue.objects.filter(customer__owner=am_a).order_by("customer_id").first()
    # A breakdown as a recompute stores it: non-zero parts only; the rest is orders and
    # communications.
    value.cost_to_serve = Decimal("200.00")
    value.cost_breakdown = {"service.complaints": "120.00", "service.tickets": "30.50"}
    value.save(update_fields=["cost_to_serve", "cost_breakdown"])
    rows = read_csv(login(client, am_a).get("/analytics/export/values.csv"))
    header = rows[0]
    total = header.index("服务成本")
    # Orders and communications first, then the registered sources by key (projects.…,
    # service.…).
    parts = [f"服务成本：{part}" for part in ("订单与沟通", "项目超支", "投诉补偿", "工单服务")]
    assert header[total + 1 : total + 5] == parts
    assert header[total + 5] == "利润"
    row = next(r for r in rows[1:] if r[0] == str(value.customer_id))
    assert row[total : total + 5] == ["200.00", "49.50", "0.00", "120.00", "30.50"]
    assert sum(Decimal(x) for x in row[total + 1 : total + 5]) == Decimal(row[total])


@pytest.mark.parametrize(
    "table",
    ["matrix", "pareto", "rfm", "cohorts", "movement", "churn-risk", "propensity",
     "profitability"],
)  # fmt: skip
def test_every_dashboard_table_exports(client, scene, admin_user, table):
    rows = read_csv(login(client, admin_user).get(f"/analytics/export/{table}.csv"))
    assert rows and rows[0]


def test_matrix_export_has_each_cell_and_class(client, scene, admin_user):
    rows = read_csv(login(client, admin_user).get("/analytics/export/matrix.csv"))
    assert len(rows) == 1 + 9 + 6
    platinum = next(r for r in rows[1:] if r[0] == "大金额" and r[1] == "短周期")
    assert platinum[2:5] == ["铂金客户", "2", "8700.00"]


def test_unknown_export_is_404_and_bad_filter_400(client, scene, admin_user):
    login(client, admin_user)
    assert client.get("/analytics/export/passwords.csv").status_code == 404
    assert client.get("/analytics/export/values.csv", {"owner": "x"}).status_code == 400


def test_recompute_button(client, scene, manager_a, am_a, django_capture_on_commit_callbacks):
    assert login(client, am_a).post("/analytics/recompute/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, manager_a).post("/analytics/recompute/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-status="queued"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/analytics/recompute/")
    assert response.status_code == 302


def test_settings_page(client, scene, admin_user, am_a):
    assert login(client, am_a).get("/analytics/settings/").status_code == 403
    login(client, admin_user)
    page = client.get("/analytics/settings/")
    assert page.status_code == 200 and "贴现率" in page.content.decode()
    form = {name: "" for name in services.SETTINGS_FIELDS}
    form.update(
        version=2, discount_rate="0.02", period_days="30", horizon_periods="6",
        gross_margin="0.6", rfm_segment_map="cn8", cost_per_order="5",
        cost_per_communication="1", cost_per_ticket="8", dormant_factor="3",
        key_account_share="0.8", snapshots_kept="10", snapshot_months_kept="6",
    )  # fmt: skip
    bad = client.post("/analytics/settings/", {**form, "period_days": "0"})
    assert bad.status_code == 422
    assert "必须在" in bad.content.decode()
    assert AnalyticsSettings.objects.get().period_days == 30
    good = client.post("/analytics/settings/", form)
    assert good.status_code == 302
    row = AnalyticsSettings.objects.get()
    assert (row.horizon_periods, row.rfm_segment_map, row.cycle_threshold_short) == (6, "cn8", None)
    assert row.cost_per_ticket == Decimal("8.00")
    stale = client.post("/analytics/settings/", form)
    assert stale.status_code == 409


# --- the customer list and the 360 page ----------------------------------------------------


def test_customer_list_filters_by_value_cell_and_class(client, scene, admin_user):
    login(client, admin_user)
    response = client.get("/customers/", {"value_cell": "large-short"})
    names = [c.name for c in response.context["page"].items]
    assert sorted(names) == ["large-short客户", "华南大客户"]
    html = response.content.decode()
    assert "价值类别" in html and 'data-value-class="platinum"' in html
    assert 'id="value-cell-filter"' in html
    response = client.get("/customers/", {"value_class": "development"})
    assert sorted(c.name for c in response.context["page"].items) == [
        "medium-long客户", "small-medium客户"
    ]  # fmt: skip


def test_customer_list_value_filters_combine_with_scope(client, scene, am_a):
    response = login(client, am_a).get("/customers/", {"value_cell": "large-short"})
    assert [c.name for c in response.context["page"].items] == ["large-short客户"]


def test_customer_list_rejects_a_bad_value_class(client, scene, admin_user):
    response = login(client, admin_user).get("/customers/", {"value_class": "diamond"})
    assert response.status_code == 400


def test_customer_360_shows_the_value_card(client, scene, am_a):
    customer = scene["grid"][("large", "long")]
    html = login(client, am_a).get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-value-card"' in html
    assert "白银客户" in html
    assert "缩短其消费周期" in html  # the large-and-long silver advice
    bare = CustomerFactory(owner=am_a)
    html = client.get(f"/customers/{bare.pk}/").content.decode()
    assert "还没有价值数据" in html
