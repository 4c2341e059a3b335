"""The cost rates page (成本费率, ``views_costs.cost_rates``): editing an existing rate and
reopening priced (approved) time from the page, for the rate keepers only
(``permissions.can_manage_cost_rates``); everyone else gets a 403 and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.test_api_support import Api
from guanxi.projects.models import CostRate, ProjectKpi, TimeEntry, TimeStatus
from guanxi.projects.tests.test_time_costs import MONDAY, _approved
from guanxi.projects.tests.test_time_costs import scene as scene

pytestmark = pytest.mark.django_db

URL = "/projects/costs/rates/"


@pytest.fixture
def rate(db):
    return CostRate.objects.create(role="开发工程师", hourly_rate=Decimal("100"), valid_from=MONDAY)


def _update(client, rate, **fields):
    data = {
        "action": "update", "rate_id": rate.pk, "version": rate.version, "user_id": "",
        "role": rate.role, "hourly_rate": "100", "valid_from": "2027-03-01", **fields,
    }  # fmt: skip
    return client.post(URL, data)


def test_the_url_is_the_named_route():
    assert reverse("projects:cost_rates") == URL


def test_a_manager_edits_a_rate_on_the_page(scene, client, rate):
    client.force_login(scene["head"])
    form = client.get(URL, {"edit": rate.pk}).content.decode()
    assert f'data-editing="{rate.pk}"' in form and 'value="update"' in form
    assert 'value="100.00"' in form and 'value="2027-03-01"' in form
    assert f'data-rate-edit="{rate.pk}"' in form

    response = _update(client, rate, hourly_rate="120.50", valid_from="2027-02-01")

    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.hourly_rate, rate.valid_from, rate.version) == (
        Decimal("120.50"), dt.date(2027, 2, 1), 2,
    )  # fmt: skip
    entry = AuditEntry.objects.filter(object_id=str(rate.pk)).order_by("-id").first()
    assert entry is not None and entry.changes["hourly_rate"] == ["100.00", "120.50"]


def test_a_bad_amount_is_named_and_changes_nothing(scene, client, rate):
    client.force_login(scene["head"])
    response = _update(client, rate, hourly_rate="abc")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="rate-edit"' in html and 'id="rate-amount"' in html and "is-invalid" in html
    rate.refresh_from_db()
    assert (rate.hourly_rate, rate.version) == (Decimal("100.00"), 1)


def test_a_stale_edit_is_refused_with_a_conflict(scene, client, rate):
    client.force_login(scene["head"])
    CostRate.objects.filter(pk=rate.pk).update(version=2, hourly_rate=Decimal("110"))
    response = _update(client, rate, hourly_rate="999")
    assert response.status_code == 409
    assert 'id="rates-error"' in response.content.decode()
    assert CostRate.objects.get(pk=rate.pk).hourly_rate == Decimal("110.00")


def test_an_unknown_action_is_refused(scene, client):
    client.force_login(scene["head"])
    assert client.post(URL, {"action": "drop"}).status_code == 422


def _priced(scene, day=MONDAY, hours="8"):
    CostRate.objects.get_or_create(
        role="开发工程师", valid_from=MONDAY, defaults={"hourly_rate": Decimal("100")}
    )
    return _approved(
        user=scene["worker"], project=scene["project"], task=scene["a"], date=day,
        hours=Decimal(hours), approved_by=scene["pm"],
    )  # fmt: skip


def test_a_manager_reopens_priced_time_from_the_page(
    scene, client, django_capture_on_commit_callbacks
):
    first, second = _priced(scene), _priced(scene, MONDAY + dt.timedelta(days=1), "4")
    assert first.cost == Decimal("800.00")
    client.force_login(scene["head"])
    page = client.get(URL).content.decode()
    assert f'data-priced="{first.pk}"' in page and f'data-priced="{second.pk}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"action": "reopen", "entry_ids": [first.pk], "reason": "任务填错"}
        )

    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.cost, first.reject_reason) == (
        TimeStatus.REJECTED, None, "任务填错",
    )  # fmt: skip
    assert TimeEntry.objects.get(pk=second.pk).status == TimeStatus.APPROVED
    assert ProjectKpi.objects.filter(project=scene["project"], pending=False).exists()
    assert f'data-priced="{first.pk}"' not in client.get(URL).content.decode()


def test_reopening_needs_a_reason_and_changes_nothing_without(scene, client):
    entry = _priced(scene)
    client.force_login(scene["head"])
    response = client.post(URL, {"action": "reopen", "entry_ids": [entry.pk], "reason": " "})
    assert response.status_code == 422
    assert 'id="reopen-reason"' in response.content.decode()
    entry.refresh_from_db()
    assert (entry.status, entry.cost) == (TimeStatus.APPROVED, Decimal("800.00"))


def test_the_page_lists_no_time_the_keeper_may_not_reopen(scene, client):
    """A manager of another team keeps rates but approves (so reopens) nobody here."""
    entry = _priced(scene)
    other = UserFactory(role=Role.MANAGER, team=scene["stranger"].team)
    client.force_login(other)
    page = client.get(URL).content.decode()
    assert f'data-priced="{entry.pk}"' not in page and 'id="priced-empty"' in page
    refused = client.post(URL, {"action": "reopen", "entry_ids": [entry.pk], "reason": "x"})
    assert refused.status_code in (403, 404)
    assert TimeEntry.objects.get(pk=entry.pk).status == TimeStatus.APPROVED


@pytest.mark.parametrize("who", ["worker", "pm"])
def test_members_and_project_managers_are_forbidden(scene, client, rate, who):
    entry = _priced(scene)
    client.force_login(scene[who])
    assert client.get(URL, {"edit": rate.pk}).status_code == 403
    assert _update(client, rate, hourly_rate="1").status_code == 403
    reopen = {"action": "reopen", "entry_ids": [entry.pk], "reason": "x"}
    assert client.post(URL, reopen).status_code == 403
    rate.refresh_from_db()
    assert (rate.hourly_rate, rate.version) == (Decimal("100.00"), 1)
    assert TimeEntry.objects.get(pk=entry.pk).status == TimeStatus.APPROVED
    patched = Api(scene[who]).patch(
        f"/projects/costs/rates/{rate.pk}", {"hourly_rate": "1", "version": 1}
    )
    assert patched.status_code == 403


def test_the_page_query_count_does_not_grow_with_priced_time(
    scene, client, rate, django_assert_max_num_queries
):
    client.force_login(scene["head"])
    _priced(scene)
    client.get(URL)
    # session, user, rates with people, people, priced time with person/project/task
    with django_assert_max_num_queries(9):
        client.get(URL, {"edit": rate.pk})
    for day in range(1, 20):
        _priced(scene, MONDAY + dt.timedelta(days=day))
    with django_assert_max_num_queries(9):
        page = client.get(URL)
    assert page.content.decode().count("data-priced=") == 20
