"""The duplicate review pages: queue and scan, the side-by-side merge page, merge history
and undo; permissions."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from guanxi.customers import services
from guanxi.customers.duplicates.models import CandidateStatus, CustomerMerge, DuplicateCandidate
from guanxi.customers.models import Customer
from guanxi.customers.tests.duplicates.support import customer, full_scene, world

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pair(a, b, score=70, mask=1) -> DuplicateCandidate:
    lo, hi = sorted([a, b], key=lambda c: c.pk)
    return DuplicateCandidate.objects.create(
        customer_a=lo, customer_b=hi, score=score, reason_mask=mask
    )


def _form(scene, survivor, **fields) -> dict[str, object]:
    s, m = scene["survivor"], scene["merged"]
    data: dict[str, object] = {
        "survivor": survivor.pk,
        f"version_{s.pk}": s.version,
        f"version_{m.pk}": m.version,
    }
    data.update({f"field:{k}": v for k, v in fields.items()})
    return data


def test_queue_shows_visible_pairs_with_reasons(am_a, am_b):
    _pair(customer(am_a, "华为技术"), customer(am_a, "華為技術"), score=60, mask=4)
    _pair(customer(am_b, "中兴通讯"), customer(am_b, "中興通訊"), score=60, mask=4)

    response = _client(am_a).get(reverse("customers:duplicates"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "華為技術" in html and "名称相同" in html
    assert "中兴通讯" not in html
    assert 'id="scan-button"' in html


def test_customer_list_links_to_the_queue(am_a):
    html = _client(am_a).get(reverse("customers:list")).content.decode()
    assert reverse("customers:duplicates") in html


def test_scan_button_runs_the_scan_and_shows_its_progress(am_a, django_capture_on_commit_callbacks):
    customer(am_a, "华为技术", phone="13800138000")
    customer(am_a, "华为技术有限公司", phone="138-0013-8000")

    with django_capture_on_commit_callbacks(execute=True):
        response = _client(am_a).post(reverse("customers:duplicate_scan"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'id="scan-job"' in response.content.decode()
    assert DuplicateCandidate.objects.count() == 1


def test_dismiss_removes_the_row(am_a):
    pair = _pair(customer(am_a, "甲方科技"), customer(am_a, "乙方科技"))

    response = _client(am_a).post(
        reverse("customers:duplicate_dismiss", args=[pair.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200 and response.content == b""
    assert "gx:duplicates" in json.loads(response["HX-Trigger"])
    assert DuplicateCandidate.objects.get().status == CandidateStatus.DISMISSED


def test_merge_page_shows_both_customers_field_by_field(am_a):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]

    response = _client(am_a).get(reverse("customers:merge", args=[s.pk, m.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('name="field:name"') == 2
    assert "0755-28780808" in html and "+86 138 0013 8000" in html
    assert 'name="survivor"' in html and "merge-submit" in html


def test_merge_form_keeps_chosen_values_and_shows_the_result(am_a):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]

    response = _client(am_a).post(
        reverse("customers:merge", args=[s.pk, m.pk]),
        _form(scene, s, name=m.pk, phone=s.pk, notes=m.pk),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[s.pk])
    s.refresh_from_db()
    assert (s.name, s.phone, s.notes) == ("華為技術", "0755-28780808", "老客户，2019 年导入")
    assert not Customer.objects.filter(pk=m.pk).exists()
    html = response.content.decode()
    assert "已将" in html and reverse("customers:merges") in html


def test_merge_form_with_a_stale_version_is_refused(am_a):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]
    form = _form(scene, s)
    services.customer_update(actor=am_a, customer_id=m.pk, data={"city": "北京"}, version=1)
    before = world()

    response = _client(am_a).post(reverse("customers:merge", args=[s.pk, m.pk]), form)

    assert response.status_code == 409
    assert 'id="merge-conflict"' in response.content.decode()
    assert world() == before


def test_merge_form_without_a_survivor_is_refused(am_a):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]

    response = _client(am_a).post(reverse("customers:merge", args=[s.pk, m.pk]), {})

    assert response.status_code == 422
    assert Customer.objects.filter(pk=m.pk).exists()


def test_merge_page_of_another_teams_customer_is_not_found(am_a, am_b):
    mine, theirs = customer(am_a, "华为技术"), customer(am_b, "华为技术有限公司")

    assert (
        _client(am_a).get(reverse("customers:merge", args=[mine.pk, theirs.pk])).status_code == 404
    )


def test_reader_sees_the_comparison_but_no_merge_button(agent, am_a):
    a, b = customer(am_a, "华为技术"), customer(am_a, "华为技术有限公司")

    response = _client(agent).get(reverse("customers:merge", args=[a.pk, b.pk]))

    assert response.status_code == 200
    assert "merge-submit" not in response.content.decode()


def test_history_lists_merges_and_undo_restores(am_a):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]
    client = _client(am_a)
    client.post(reverse("customers:merge", args=[s.pk, m.pk]), _form(scene, s))
    record = CustomerMerge.objects.get()

    html = client.get(reverse("customers:merges")).content.decode()
    assert "華為技術" in html and "联系人 1" in html
    response = client.post(reverse("customers:merge_undo", args=[record.pk]), follow=True)

    assert response.status_code == 200
    assert Customer.objects.get(pk=m.pk).name == "華為技術"
    assert "已撤销合并" in response.content.decode()


def test_undo_after_a_change_shows_what_changed(am_a):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]
    client = _client(am_a)
    client.post(reverse("customers:merge", args=[s.pk, m.pk]), _form(scene, s))
    services.contact_update(
        actor=am_a, contact_id=scene["contact"].pk, data={"title": "董事长"}, version=1
    )

    response = client.post(reverse("customers:merge_undo", args=[CustomerMerge.objects.get().pk]))

    assert response.status_code == 409
    assert "联系人" in response.content.decode()
    assert not Customer.objects.filter(pk=m.pk).exists()


@pytest.mark.parametrize("name", ["duplicates", "merges"])
def test_portal_users_are_forbidden(portal_user, name):
    assert _client(portal_user).get(reverse(f"customers:{name}")).status_code == 403


def test_anonymous_users_go_to_login():
    response = Client().get(reverse("customers:duplicates"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_pages_render_in_english(am_a):
    scene = full_scene(am_a)
    client = _client(am_a)
    client.cookies["django_language"] = "en"
    s, m = scene["survivor"], scene["merged"]

    # The locale middleware leaves English active on this thread: put it back after.
    with translation.override(translation.get_language()):
        for url in (
            reverse("customers:duplicates"),
            reverse("customers:merges"),
            reverse("customers:merge", args=[s.pk, m.pk]),
        ):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 200
            assert response["Content-Language"] == "en"


def _pairs_of(owner, n):
    for i in range(n):
        _pair(customer(owner, f"甲方{i}号科技"), customer(owner, f"乙方{i}号科技"))


@pytest.mark.parametrize("n", [2, 12])
def test_queue_page_query_count_does_not_grow_with_pairs(am_a, n, django_assert_num_queries):
    _pairs_of(am_a, n)
    client = _client(am_a)
    client.get(reverse("customers:duplicates"))  # session and user cached as for any page
    # session, user, the page of pairs with both customers and their owners; + the ids of
    # the customers shared with the actor (团队成员), read once and ORed into the scope
    with django_assert_num_queries(4):
        client.get(reverse("customers:duplicates"))


@pytest.mark.parametrize("n", [2, 12])
def test_api_queue_query_count_does_not_grow_with_pairs(am_a, n, django_assert_num_queries):
    from guanxi.customers.tests.test_api_support import Api

    _pairs_of(am_a, n)
    api = Api(am_a)
    api.get("/duplicates")
    # the token, the page of pairs with both customers; + the ids of the customers shared
    # with the actor (团队成员), read once and ORed into the scope
    with django_assert_num_queries(3):
        api.get("/duplicates")
