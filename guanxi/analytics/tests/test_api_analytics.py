"""The analytics API: scope, filters, bad input, settings, recompute, pinned query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.analytics import services
from guanxi.analytics.models import AnalyticsRun, AnalyticsSettings
from guanxi.analytics.tests import builders
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.customers.tests.test_api_support import Api, error_fields

AS_OF = builders.AS_OF


@pytest.fixture
def scene(admin_user, am_a, am_b):
    services.analytics_settings_update(
        actor=admin_user, version=builders.settings_version(),
        changes={"cycle_threshold_short": 30, "cycle_threshold_long": 90,
                 "amount_threshold_small": 100, "amount_threshold_large": 500},
    )  # fmt: skip
    grid = builders.grid_book(owner=am_a, province="浙江")
    other = CustomerFactory(owner=am_b, name="华南客户", province="广东")
    builders.add_orders(other, builders.regular_orders(7, Decimal("2000.00")))
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    return {"grid": grid, "other": other}


def test_customer_value_of_an_own_customer(scene, am_a):
    customer = scene["grid"][("large", "short")]
    body = Api(am_a).get(f"/analytics/customers/{customer.pk}").json()
    assert body["customer"]["id"] == customer.pk
    assert body["value_class"] == "platinum"
    assert body["value_class_label"] == "铂金客户"
    assert (body["orders"], body["purchases"], body["frequency"]) == (3, 3, 2)
    assert body["revenue"] == "2700.00"
    assert body["average_amount"] == "900.00"
    assert body["strategy"].startswith("优先客户")
    assert set(body) >= {"p_alive", "clv", "churn_risk", "rfm_segment", "propensity", "profit"}


def test_another_teams_customer_value_is_404(scene, am_a):
    response = Api(am_a).get(f"/analytics/customers/{scene['other'].pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_customer_without_purchases_has_no_value(scene, am_a):
    bare = CustomerFactory(owner=am_a)
    assert Api(am_a).get(f"/analytics/customers/{bare.pk}").status_code == 404


def test_value_list_is_scoped_and_filtered(scene, am_a, admin_user):
    mine = Api(am_a).get("/analytics/values", limit=50).json()
    assert mine["count"] == 9
    assert scene["other"].pk not in {v["customer"]["id"] for v in mine["items"]}
    gold = Api(am_a).get("/analytics/values", value_class="gold", sort="-revenue").json()
    assert [v["customer"]["id"] for v in gold["items"]] == [
        scene["grid"][("large", "medium")].pk, scene["grid"][("medium", "short")].pk
    ]  # fmt: skip
    cell = Api(admin_user).get("/analytics/values", cell="large-short").json()
    assert cell["count"] == 2
    region = Api(admin_user).get("/analytics/values", region="广东").json()
    assert [v["customer"]["id"] for v in region["items"]] == [scene["other"].pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"value_class": "diamond"}, "value_class"),
        ({"cell": "big-short"}, "cell"),
        ({"sort": "name"}, "sort"),
        ({"owner": "abc"}, "owner"),
        ({"limit": "0"}, "limit"),
        ({"segment": "vip"}, "segment"),
    ],
)
def test_bad_list_input_is_422_naming_the_field(scene, am_a, params, field):
    response = Api(am_a).get("/analytics/values", **params)
    assert response.status_code == 422
    assert field in error_fields(response)


def test_bad_movement_input_names_the_field(scene, am_a):
    response = Api(am_a).get("/analytics/movement", from_run=999_999)
    assert response.status_code == 422
    assert error_fields(response) == ["from_run"]
    response = Api(am_a).get("/analytics/movement", to_class="diamond")
    assert response.status_code == 422
    assert error_fields(response) == ["to_class"]


def test_matrix_pareto_rfm_cohorts_are_scoped(scene, am_a, am_b):
    api_a, api_b = Api(am_a), Api(am_b)
    assert api_a.get("/analytics/matrix").json()["total"] == 9
    assert api_b.get("/analytics/matrix").json()["total"] == 1
    assert api_b.get("/analytics/pareto").json()["customers"] == 1
    assert sum(map(sum, api_b.get("/analytics/rfm").json()["grid"])) == 1
    cohorts = api_b.get("/analytics/cohorts", months=6).json()
    assert sum(c["size"] for c in cohorts["cohorts"]) == 1
    assert api_b.get("/analytics/profitability").json()["customers"] == 1
    assert api_b.get("/analytics/churn-risk").status_code == 200
    assert api_b.get("/analytics/propensity").status_code == 200
    movement = api_b.get("/analytics/movement").json()
    assert movement["moved"] == 0 and movement["from_run"] is None


def test_portal_users_are_refused(scene, portal_user):
    assert Api(portal_user).get("/analytics/matrix").status_code == 403


def test_anonymous_is_401(scene):
    assert Api().get("/analytics/values").status_code == 401


def test_settings_are_admin_only(scene, admin_user, manager_a):
    assert Api(manager_a).get("/analytics/settings").status_code == 403
    body = Api(admin_user).get("/analytics/settings").json()
    assert body["version"] == 2 and body["rfm_segment_map"] == "default"
    assert body["cycle_threshold_short"] == "30.0"


def test_settings_update_and_stale_version(scene, admin_user):
    api = Api(admin_user)
    response = api.patch("/analytics/settings", {"version": 2, "discount_rate": "0.02"})
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 3
    stale = api.patch("/analytics/settings", {"version": 2, "period_days": 7})
    assert stale.status_code == 409
    assert AnalyticsSettings.objects.get().period_days == 30
    assert AnalyticsSettings.objects.get().version == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "discount_rate": "2"}, "discount_rate"),
        ({"version": 1, "period_days": 0}, "period_days"),
        ({"version": 1, "rfm_segment_map": "x"}, "rfm_segment_map"),
        ({"version": 1, "colour": "red"}, "colour"),
        ({"discount_rate": "0.02"}, "version"),
        ({"version": 1, "cycle_threshold_short": 30}, "cycle_threshold_long"),
    ],
)
def test_bad_settings_are_4xx_naming_the_field_and_change_nothing(admin_user, body, field):
    response = Api(admin_user).patch("/analytics/settings", body)
    assert response.status_code in (400, 422)
    assert field in error_fields(response)
    assert not AnalyticsSettings.objects.exists()


def test_recompute_starts_a_job(scene, manager_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Api(manager_a).post("/analytics/recompute")
    assert response.status_code == 202
    body = response.json()
    run = AnalyticsRun.objects.get(pk=body["run_id"])
    assert str(run.job_id) == body["job_id"]
    assert run.status == "succeeded"
    job = Api(manager_a).get(f"/jobs/{body['job_id']}").json()
    assert job["status"] == "succeeded" and job["result"]["run_id"] == run.pk


def test_account_managers_cannot_recompute(scene, am_a):
    assert Api(am_a).post("/analytics/recompute").status_code == 403


def test_latest_run(scene, am_a, admin_user):
    body = Api(am_a).get("/analytics/runs/latest").json()
    # the account manager's nine customers, not the company's ten (issue 10 item 4)
    assert body["status"] == "succeeded" and body["customers"] == 9 and body["scoped"]
    whole = Api(admin_user).get("/analytics/runs/latest").json()
    assert whole["customers"] == 10 and not whole["scoped"]


# Token (1) + page (1) + count only past a full page; customer and owner are joined in.
# + 1 for an actor who does not read every customer: the ids shared with them (团队成员),
# read once and ORed into the scope only when there are any.
VALUE_LIST_QUERIES = 3


@pytest.mark.parametrize("n", [2, 12])
def test_value_list_query_count_is_fixed(admin_user, am_a, django_assert_num_queries, n):
    for _ in range(n):
        customer = CustomerFactory(owner=am_a)
        builders.add_orders(customer, builders.regular_orders(10, Decimal("100.00")))
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    api = Api(am_a)
    with django_assert_num_queries(VALUE_LIST_QUERIES):
        response = api.get("/analytics/values", limit=50)
    assert response.json()["count"] == n
