"""Exports (with the customers list as the example): CSV/XLSX, formula escaping
(hypothesis), permission, security log, filters named in errors, and the job for large
lists. Each app's lists are tested with the app."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.errors import ValidationFailed
from guanxi.core.io.spreadsheet_export import unescape_cell
from guanxi.core.models import SecurityEvent
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.customers.tests.test_api_support import BASE, make_token
from guanxi.imports import exporting

pytestmark = pytest.mark.django_db

# PostgreSQL text cannot hold NUL (the API refuses it) nor lone surrogates (not UTF-8), so
# no generated value contains either.
NO_NUL = st.characters(blacklist_characters="\x00", codec="utf-8")
DANGEROUS = st.text(alphabet=NO_NUL, min_size=1, max_size=30)
PREFIXED = st.tuples(
    st.sampled_from("=+-@\t\r＝＋－＠"), st.text(alphabet=NO_NUL, max_size=20)
).map("".join)


def _csv_rows(body) -> list[list[str]]:
    data = body if isinstance(body, bytes) else b"".join(body)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(name=PREFIXED, notes=DANGEROUS)
def test_exported_cells_cannot_carry_formulas(admin_user, name, notes):
    from guanxi.customers.models import Customer

    Customer.objects.all().delete()
    CustomerFactory(name=name, notes=notes, owner=admin_user)

    csv_rows = _csv_rows(
        exporting.export_stream(actor=admin_user, kind="customers", fmt="csv", params={})
    )
    xlsx = exporting.export_stream(actor=admin_user, kind="customers", fmt="xlsx", params={})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    xlsx_rows = [[c.value for c in row] for row in sheet.iter_rows()]

    for cells in (csv_rows[1], [("" if v is None else str(v)) for v in xlsx_rows[1]]):
        for cell in cells:
            assert not cell or cell[0] not in "=+-@\t\r＝＋－＠", cell
    assert unescape_cell(csv_rows[1][1]) == name
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_an_unknown_list_is_refused_naming_the_lists(admin_user):
    with pytest.raises(ValidationFailed) as caught:
        exporting.export_stream(actor=admin_user, kind="sheep", fmt="csv", params={})

    assert "customers" in caught.value.errors["kind"][0]


def test_export_needs_permission_and_is_logged(am_a, manager_a, client):
    api_am = Api(am_a)
    assert api_am.post("/exports", {"kind": "customers"}).status_code == 403
    client.force_login(am_a)
    assert client.get("/customers/export/?kind=customers&format=csv").status_code == 403
    assert not SecurityEvent.objects.filter(event="export").exists()

    client.force_login(manager_a)
    response = client.get("/customers/export/?kind=customers&format=csv&status=active")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    event = SecurityEvent.objects.get(event="export")
    assert (event.actor, event.details["kind"], event.details["filters"]) == (
        manager_a,
        "customers",
        {"status": "active"},
    )


def test_bad_filters_are_400_naming_the_filter(manager_a, client):
    client.force_login(manager_a)
    response = client.get("/customers/export/?kind=customers&status=nope")
    assert response.status_code == 400
    # The way back is the list the export came from (registered with it), not a fixed page.
    assert response.context["back_url"] == "/customers/"
    assert (
        Api(manager_a)
        .post("/exports", {"kind": "customers", "filters": {"status": "x"}})
        .json()["errors"][0]["field"]
        == "status"
    )


def test_api_export_runs_as_a_job_and_downloads(admin_user, django_capture_on_commit_callbacks):
    CustomerFactory(name="=cmd|' /C calc'!A0", owner=admin_user)
    api = Api(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/exports", {"kind": "customers", "format": "xlsx"})
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    assert api.get(f"/jobs/{job_id}").json()["status"] == "succeeded"
    download = api.client.get(f"{BASE}/exports/{job_id}/download")

    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.cell(row=2, column=2).value == "'=cmd|' /C calc'!A0"
    assert SecurityEvent.objects.filter(event="export", details__rows=1).exists()


def test_large_lists_become_a_job_in_the_ui(
    admin_user, client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exporting, "INLINE_ROWS", 1)
    CustomerFactory.create_batch(3, owner=admin_user)
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/customers/export/?kind=customers&format=csv")

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert 'id="export-download"' in page.content.decode()


class Api:
    def __init__(self, user) -> None:
        from django.test import Client

        self.client = Client(headers={"Authorization": f"Bearer {make_token(user)}"})

    def post(self, path: str, body: dict) -> object:
        return self.client.post(BASE + path, body, content_type="application/json")

    def get(self, path: str) -> object:
        return self.client.get(BASE + path)
