"""The quote pages and API: scope (another team's quote is a 404), bad input named with the
database unchanged, the htmx line editor, the PDF download, OpenAPI documentation."""

from __future__ import annotations

import json

import pytest

from guanxi.contracts.models import Quote, QuoteLine, QuoteStatus
from guanxi.contracts.tests.quote_helpers import make_quote, scene_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
API = "/api/v1/contracts/quotes"


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_creates_a_quote_with_exact_totals(client, scene):
    client.force_login(scene["seller"])
    response = _post(client, API, {
        "opportunity_id": scene["opportunity"].pk,
        "lines": [{"product_id": scene["licence"].pk, "quantity": "2", "discount_percent": "5"}],
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["net_total"] == "24320.00" and body["total"] == "27481.60"
    assert body["lines"][0]["unit"] == "套" and body["needs_approval"] is False


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "1", "unit_price": "12.345"}, "unit_price"),
        ({"quantity": "1", "discount_percent": "101"}, "discount_percent"),
    ],
)
def test_api_bad_lines_are_422_naming_the_field(client, scene, line, field):
    client.force_login(scene["seller"])
    body = {"opportunity_id": scene["opportunity"].pk,
            "lines": [{"product_id": scene["licence"].pk, **line}]}  # fmt: skip
    response = _post(client, API, body)
    assert response.status_code == 422
    assert any(e["field"].endswith(field) for e in response.json()["errors"]), response.json()
    assert not Quote.objects.exists()


def test_api_another_teams_opportunity_is_404(client, scene):
    client.force_login(scene["seller"])
    response = _post(client, API, {"opportunity_id": scene["other_opportunity"].pk})
    assert response.status_code == 404
    assert response.json()["field"] == "opportunity_id"
    assert not Quote.objects.exists()


def test_another_team_sees_neither_the_quote_nor_its_pdf(client, scene):
    quote = make_quote(scene)
    client.force_login(scene["outsider"])
    assert client.get(f"{API}/{quote.pk}").status_code == 404
    assert client.get(f"{API}/{quote.pk}/pdf").status_code == 404
    assert client.get(f"/contracts/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"{API}").json()["count"] == 0


def test_api_send_stale_is_409_and_pdf_downloads(client, scene):
    quote = make_quote(scene)
    client.force_login(scene["seller"])
    stale = _post(client, f"{API}/{quote.pk}/send", {"version": quote.version + 5})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    sent = _post(client, f"{API}/{quote.pk}/send", {"version": quote.version})
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    pdf = client.get(f"{API}/{quote.pk}/pdf?lang=en")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_openapi_documents_the_quote_operations(client):
    doc = client.get("/api/v1/openapi.json").json()
    send = doc["paths"]["/api/v1/contracts/quotes/{quote_id}/send"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(send["responses"])
    pdf = doc["paths"]["/api/v1/contracts/quotes/{quote_id}/pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]


def test_the_page_edits_a_line_with_htmx(client, scene):
    quote = make_quote(scene)
    line = quote.lines.get(position=1)
    client.force_login(scene["seller"])
    page = client.get(f"/contracts/quotes/{quote.pk}/")
    assert page.status_code == 200 and "企业版许可证" in page.content.decode()

    response = client.post(
        f"/contracts/quotes/{quote.pk}/lines/{line.pk}/",
        {"version": quote.version, "quantity": "1", "unit_price": "12800.00",
         "discount_percent": "0", "description": line.description},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="quote-page"' in html and "<html" not in html
    quote.refresh_from_db()
    assert (
        quote.total == QuoteLine.objects.get(pk=line.pk).total + quote.lines.get(position=2).total
    )


def test_the_page_names_an_over_precise_price_and_changes_nothing(client, scene):
    quote = make_quote(scene)
    line = quote.lines.get(position=1)
    client.force_login(scene["seller"])
    response = client.post(
        f"/contracts/quotes/{quote.pk}/lines/{line.pk}/",
        {"version": quote.version, "quantity": "1", "unit_price": "1.005",
         "discount_percent": "0"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 422
    assert "单价" in response.content.decode()
    line.refresh_from_db()
    assert line.quantity == 2 and line.unit_price == 12800


def test_new_quote_page_from_the_opportunity(client, scene):
    client.force_login(scene["seller"])
    url = f"/contracts/quotes/new/?opportunity={scene['opportunity'].pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "ERP 报价", "valid_until": "2999-01-01", "note": ""})
    assert response.status_code == 422  # beyond the accepted date range
    response = client.post(url, {"title": "ERP 报价", "valid_until": "2027-06-30", "note": ""})
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.title == "ERP 报价" and quote.status == QuoteStatus.DRAFT
    other = f"/contracts/quotes/new/?opportunity={scene['other_opportunity'].pk}"
    assert client.get(other).status_code == 404


def test_the_api_list_reads_a_fixed_number_of_queries(client, scene, django_assert_num_queries):
    client.force_login(scene["seller"])
    make_quote(scene)
    client.get(API)  # warm the session and the actor's permission state
    with django_assert_num_queries(3) as one:
        assert client.get(API).json()["count"] == 1
    make_quote(scene)
    make_quote(scene)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(API).json()["count"] == 3
