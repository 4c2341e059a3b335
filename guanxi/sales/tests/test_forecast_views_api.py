"""The forecast page, the opportunity's forecast card, the forecast export and the forecast
API: permission matrix for every role, bad input named, stale writes refused, query counts
pinned."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.models import Opportunity
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = pytest.mark.django_db

# session + user, the groups, the owner filter, the departments, the pipelines (no per-row
# query whatever the number of opportunities)
FORECAST_PAGE_QUERIES = 8


@pytest.fixture
def scene(am_a, am_b):
    _pipeline, stages = board()
    close = timezone.localdate().replace(day=15)
    mine = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[1],
                              amount=Decimal("1000"), expected_close=close)  # fmt: skip
    theirs = OpportunityFactory(customer=CustomerFactory(owner=am_b), stage=stages[1],
                                amount=Decimal("5000"), expected_close=close)  # fmt: skip
    return stages, mine, theirs


@pytest.mark.parametrize(
    "who, status",
    [("anonymous", 302), ("portal_user", 403), ("agent", 403), ("am_a", 200),
     ("manager_a", 200), ("admin_user", 200)],
)  # fmt: skip
def test_forecast_page_permission_matrix(client, scene, who, status, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("sales:forecast")).status_code == status
    api = client.get("/api/v1/sales/forecast")
    assert api.status_code == {302: 401, 403: 403, 200: 200}[status]


def test_forecast_page_shows_only_the_readers_numbers(client, scene, am_a):
    client.force_login(am_a)
    response = client.get(reverse("sales:forecast"))
    html = response.content.decode()
    assert "¥1,000" in html
    assert "¥5,000" not in html
    assert 'id="chart-forecast"' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert "export-forecast-xlsx" not in html  # account managers do not export


def test_forecast_page_drills_down_to_the_list(client, scene, manager_a):
    _stages, mine, _theirs = scene
    client.force_login(manager_a)
    response = client.get(reverse("sales:forecast"), {"group": "owner"})
    url = next(
        line.cells["pipeline"].url for line in response.context["forecast"].lines
        if line.key == mine.owner_id
    )  # fmt: skip
    listed = client.get(url)
    assert listed.status_code == 200
    assert [o.pk for o in listed.context["page"].items] == [mine.pk]
    assert 'id="opp-forecast-filters"' in listed.content.decode()


def test_forecast_page_query_count_is_pinned(client, scene, admin_user,
                                             django_assert_max_num_queries):  # fmt: skip
    client.force_login(admin_user)
    client.get(reverse("sales:forecast"))
    for group in ("month", "owner", "team"):
        with django_assert_max_num_queries(FORECAST_PAGE_QUERIES):
            assert client.get(reverse("sales:forecast"), {"group": group}).status_code == 200


@pytest.mark.parametrize("field, value", [("start", "2026-99"), ("months", "99"),
                                          ("group", "x"), ("owner", "abc")])  # fmt: skip
def test_bad_parameters_are_named_on_page_and_api(client, scene, am_a, field, value):
    client.force_login(am_a)
    page = client.get(reverse("sales:forecast"), {field: value})
    assert page.status_code == 422
    assert field in page.context["errors"]
    api = client.get("/api/v1/sales/forecast", {field: value})
    assert api.status_code == 422
    assert field in json.dumps(api.json())


def test_api_forecast_by_owner(client, scene, manager_a, am_a):
    client.force_login(manager_a)
    body = client.get("/api/v1/sales/forecast", {"group": "owner"}).json()
    assert [line["key"] for line in body["lines"]] == [str(am_a.pk)]
    assert Decimal(body["total"]["buckets"]["pipeline"]["weighted"]) == Decimal("300.00")
    assert body["total"]["buckets"]["pipeline"]["url"].startswith("/sales/opportunities/?")


def test_export_xlsx_for_managers(client, scene, manager_a, am_a):
    client.force_login(manager_a)
    response = client.get(reverse("imports:export"), {"list": "forecast", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("月份", "类别")
    assert len(rows) == 2  # one group: am_a's pipeline of this month (am_b is out of scope)
    assert rows[1][2] == str(am_a)
    assert Decimal(str(rows[1][5])) == Decimal("1000")
    client.force_login(am_a)
    assert client.get(reverse("imports:export"), {"list": "forecast"}).status_code == 403


def test_export_bad_filter_is_named(client, scene, manager_a):
    client.force_login(manager_a)
    response = client.get(reverse("imports:export"), {"list": "forecast", "months": "0"})
    assert response.status_code == 400
    assert "months" in response.content.decode()


# --- the opportunity's forecast card ---------------------------------------------------------


def _card(opp):
    return reverse("sales:opportunity_forecast", args=[opp.pk])


def test_card_changes_category_and_probability_audited(client, scene, am_a):
    _stages, mine, _theirs = scene
    client.force_login(am_a)
    assert client.get(_card(mine)).status_code == 200
    response = client.post(_card(mine), {"version": mine.version, "category": "commit",
                                         "probability": "80"}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200
    mine.refresh_from_db()
    assert (mine.forecast_category, mine.probability, mine.version) == ("commit", 80, 2)
    entry = AuditEntry.objects.filter(object_id=str(mine.pk)).latest("id")
    assert entry.changes["forecast_category"] == ["pipeline", "commit"]


def test_card_stale_version_is_409_and_changes_nothing(client, scene, am_a):
    _stages, mine, _theirs = scene
    client.force_login(am_a)
    response = client.post(_card(mine), {"version": mine.version + 5, "category": "commit"},
                           HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 409
    mine.refresh_from_db()
    assert mine.forecast_category == "pipeline"


@pytest.mark.parametrize("field, value", [("probability", "101"), ("probability", "x"),
                                          ("category", "sure")])  # fmt: skip
def test_card_bad_input_is_named(client, scene, am_a, field, value):
    _stages, mine, _theirs = scene
    client.force_login(am_a)
    data = {"version": mine.version, "category": "commit", "probability": ""}
    data[field] = value
    response = client.post(_card(mine), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert field in response.context["errors"]
    mine.refresh_from_db()
    assert (mine.forecast_category, mine.version) == ("pipeline", 1)


def test_card_of_someone_elses_opportunity_is_404(client, scene, am_a):
    _stages, _mine, theirs = scene
    client.force_login(am_a)
    assert client.get(_card(theirs)).status_code == 404
    assert client.post(_card(theirs), {"version": 1, "category": "commit"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.forecast_category == "pipeline"


def test_api_patch_forecast(client, scene, am_a):
    _stages, mine, theirs = scene
    client.force_login(am_a)
    url = f"/api/v1/sales/opportunities/{mine.pk}/forecast"
    ok = client.patch(url, json.dumps({"version": 1, "category": "best_case", "probability": 40}),
                      content_type="application/json")  # fmt: skip
    assert ok.status_code == 200
    assert ok.json() == {"id": mine.pk, "version": 2, "forecast_category": "best_case",
                         "probability": 40}  # fmt: skip
    stale = client.patch(url, json.dumps({"version": 1, "category": "commit"}),
                         content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    bad = client.patch(url, json.dumps({"version": 2, "probability": 400}),
                       content_type="application/json")  # fmt: skip
    assert bad.status_code == 422
    assert "probability" in json.dumps(bad.json())
    other = client.patch(f"/api/v1/sales/opportunities/{theirs.pk}/forecast",
                         json.dumps({"version": 1, "category": "commit"}),
                         content_type="application/json")  # fmt: skip
    assert other.status_code == 404
    assert Opportunity.objects.get(pk=mine.pk).forecast_category == "best_case"


def test_closed_opportunity_forecast_is_refused(client, scene, am_a):
    stages, _mine, _theirs = scene
    won = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[3],
                             status="won", closed_at=timezone.now(), position=None)  # fmt: skip
    client.force_login(am_a)
    response = client.patch(f"/api/v1/sales/opportunities/{won.pk}/forecast",
                            json.dumps({"version": 1, "category": "commit"}),
                            content_type="application/json")  # fmt: skip
    assert response.status_code == 422


def test_won_moves_the_forecast(client, scene, am_a):
    """Winning an opportunity moves its amount from the pipeline to closed-won."""
    _stages, mine, _theirs = scene
    client.force_login(am_a)
    before = client.get("/api/v1/sales/forecast").json()["total"]["buckets"]
    client.post(f"/api/v1/sales/opportunities/{mine.pk}/win", json.dumps({"version": 1}),
                content_type="application/json")  # fmt: skip
    after = client.get("/api/v1/sales/forecast").json()["total"]["buckets"]
    assert Decimal(before["pipeline"]["amount"]) - Decimal(after["pipeline"]["amount"]) == 1000
    assert Decimal(after["won"]["amount"]) - Decimal(before["won"]["amount"]) == 1000


def test_openapi_documents_forecast(client):
    doc = client.get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/sales/opportunities/{opportunity_id}/forecast"]["patch"]
    assert {"200", "404", "409", "422"} <= set(op["responses"])
    assert "422" in doc["paths"]["/api/v1/sales/forecast"]["get"]["responses"]


def test_window_excludes_other_months(scene, admin_user):
    from guanxi.sales.selectors_forecast import ForecastParams, forecast

    start = timezone.localdate().replace(day=1) + dt.timedelta(days=62)
    result = forecast(actor=admin_user, params=ForecastParams(start=start.replace(day=1)))
    assert result.total.open_amount == 0


def test_card_says_where_the_probability_comes_from_in_the_readers_language(client, scene, am_a):
    _stages, mine, _theirs = scene
    client.force_login(am_a)
    chinese = client.get(_card(mine)).content.decode()
    assert f"{mine.stage.win_probability}%（阶段）" in chinese
    english = client.get(_card(mine), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{mine.stage.win_probability}% (stage)" in english.replace("(Stage)", "(stage)")
    assert "（" not in english.split('id="opp-forecast-probability"')[1].split("</dd>")[0]
    mine.probability = 65
    mine.save(update_fields=["probability"])
    english = client.get(_card(mine), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "65% (" in english and "（" not in english.split('id="opp-forecast-probability"')[1][:80]
