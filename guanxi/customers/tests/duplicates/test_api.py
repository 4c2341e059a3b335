"""The duplicates and merge API: queue, dismiss, scan job, merge, history, undo; bad input
answers 4xx naming the field and changes nothing."""

from __future__ import annotations

import pytest

from guanxi.customers.duplicates.models import CandidateStatus, DuplicateCandidate
from guanxi.customers.models import Customer
from guanxi.customers.tests.duplicates.support import customer, full_scene, world
from guanxi.customers.tests.test_api_support import Api, error_fields

pytestmark = pytest.mark.django_db


def _body(s, m, **extra):
    s.refresh_from_db()
    m.refresh_from_db()
    return {
        "survivor_id": s.pk,
        "merged_id": m.pk,
        "survivor_version": s.version,
        "merged_version": m.version,
        **extra,
    }


def test_queue_lists_visible_pairs_highest_score_first(am_a, am_b):
    a, b, c = (customer(am_a, n) for n in ("甲方科技", "乙方科技", "丙方科技"))
    x, y = customer(am_b, "丁方科技"), customer(am_b, "戊方科技")
    DuplicateCandidate.objects.create(customer_a=a, customer_b=b, score=60, reason_mask=4)
    top = DuplicateCandidate.objects.create(customer_a=a, customer_b=c, score=96, reason_mask=7)
    DuplicateCandidate.objects.create(customer_a=x, customer_b=y, score=99, reason_mask=1)

    body = Api(am_a).get("/duplicates").json()

    assert body["count"] == 2
    first = body["items"][0]
    assert (first["id"], first["score"], first["reasons"]) == (
        top.pk,
        96,
        ["phone", "email", "name"],
    )
    assert first["customer_a"]["name"] == "甲方科技"
    assert first["customer_b"]["version"] == c.version


def test_pair_of_another_team_is_not_found(am_a, am_b):
    x, y = customer(am_b, "丁方科技"), customer(am_b, "戊方科技")
    pair = DuplicateCandidate.objects.create(customer_a=x, customer_b=y, score=99, reason_mask=1)

    assert Api(am_a).get(f"/duplicates/{pair.pk}").status_code == 404
    response = Api(am_a).post(f"/duplicates/{pair.pk}/dismiss")
    assert response.status_code == 404
    assert error_fields(response) == ["candidate_id"]
    assert DuplicateCandidate.objects.get().status == CandidateStatus.OPEN


def test_dismiss_takes_the_pair_out_of_the_queue(am_a):
    a, b = customer(am_a, "甲方科技"), customer(am_a, "乙方科技")
    pair = DuplicateCandidate.objects.create(customer_a=a, customer_b=b, score=70, reason_mask=1)
    api = Api(am_a)

    response = api.post(f"/duplicates/{pair.pk}/dismiss")

    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    assert api.get("/duplicates").json()["count"] == 0
    assert api.get("/duplicates", status="dismissed").json()["count"] == 1


def test_scan_starts_a_job(admin_user, am_a, django_capture_on_commit_callbacks):
    customer(am_a, "甲方科技", phone="13800138000")
    customer(am_a, "乙方科技", phone="13800138000")
    api = Api(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/duplicates/scan")

    assert response.status_code == 202
    job = api.get(f"/jobs/{response.json()['id']}").json()
    assert (job["status"], job["progress"], job["result"]["pairs"]) == ("succeeded", 100, 1)
    assert api.get("/duplicates").json()["count"] == 1


def test_merge_and_undo(am_a):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]
    api = Api(am_a)

    response = api.post("/merges", _body(s, m, fields={"name": m.pk}))

    assert response.status_code == 201, response.json()
    merge = response.json()
    assert (merge["survivor_id"], merge["merged_id"], merge["undone"]) == (s.pk, m.pk, False)
    assert merge["moved"]["customers.contact"] == 1
    assert merge["dropped"] == {"customers.preference": 1, "customers.customer_tags": 1}
    assert api.get(f"/customers/{m.pk}").status_code == 404
    assert api.get(f"/customers/{s.pk}").json()["name"] == "華為技術"
    assert [c["id"] for c in api.get("/customers").json()["items"]].count(m.pk) == 0
    assert api.get("/merges").json()["items"][0]["id"] == merge["id"]

    response = api.post(f"/merges/{merge['id']}/undo")

    assert response.status_code == 200 and response.json()["undone"] is True
    assert api.get(f"/customers/{m.pk}").json()["name"] == "華為技術"
    assert api.get(f"/customers/{s.pk}").json()["name"] == "华为技术有限公司"


def test_undo_after_a_later_change_is_a_conflict_naming_it(am_a):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]
    api = Api(am_a)
    merge_id = api.post("/merges", _body(s, m)).json()["id"]
    s.refresh_from_db()
    api.patch(f"/customers/{s.pk}", {"version": s.version, "city": "广州"})
    before = world()

    response = api.post(f"/merges/{merge_id}/undo")

    assert response.status_code == 409
    assert "华为技术有限公司" in response.json()["message"]
    assert error_fields(response) == ["merge_id"]
    assert world() == before


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        (lambda s, m: {"merged_id": s.pk}, 422, "merged_id"),
        (lambda s, m: {"merged_id": 987654}, 404, "merged_id"),
        (lambda s, m: {"survivor_id": 987654}, 404, "survivor_id"),
        (lambda s, m: {"survivor_id": 0}, 422, "survivor_id"),
        (lambda s, m: {"survivor_id": "1"}, 422, "survivor_id"),
        (lambda s, m: {"survivor_version": s.version + 5}, 409, "survivor_version"),
        (lambda s, m: {"merged_version": m.version + 5}, 409, "merged_version"),
        (lambda s, m: {"fields": {"name": 987654}}, 422, "fields.name"),
        (lambda s, m: {"fields": {"no_such_field": s.pk}}, 422, "fields.no_such_field"),
        (lambda s, m: {"fields": ["name"]}, 422, "fields"),
        (lambda s, m: {"colour": "red"}, 422, "colour"),
    ],
)
def test_bad_merge_request_names_the_field_and_changes_nothing(am_a, change, status, field):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]
    body = _body(s, m)
    body.update(change(s, m))
    before = world()

    response = Api(am_a).post("/merges", body)

    assert response.status_code == status, response.json()
    assert error_fields(response) == [field]
    assert world() == before


def test_missing_version_is_refused(am_a):
    s, m = customer(am_a, "甲方科技"), customer(am_a, "乙方科技")
    body = _body(s, m)
    del body["merged_version"]

    response = Api(am_a).post("/merges", body)

    assert response.status_code == 422
    assert error_fields(response) == ["merged_version"]


def test_merging_another_teams_customer_is_not_found(am_a, am_b):
    mine, theirs = customer(am_a, "华为技术"), customer(am_b, "华为技术有限公司")
    before = world()

    response = Api(am_a).post("/merges", _body(mine, theirs))

    assert response.status_code == 404
    assert error_fields(response) == ["merged_id"]
    assert world() == before
    assert Customer.objects.filter(pk=theirs.pk).exists()


def test_other_teams_merge_history_is_hidden(am_a, am_b):
    scene = full_scene(am_a)
    merge_id = Api(am_a).post("/merges", _body(scene["survivor"], scene["merged"])).json()["id"]
    other = Api(am_b)

    assert other.get("/merges").json()["count"] == 0
    assert other.get(f"/merges/{merge_id}").status_code == 404
    assert other.post(f"/merges/{merge_id}/undo").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/duplicates"),
        ("post", "/duplicates/scan"),
        ("get", "/merges"),
        ("post", "/merges"),
        ("post", "/merges/1/undo"),
        ("post", "/duplicates/1/dismiss"),
    ],
)
def test_portal_users_get_nothing(portal_user, method, path):
    body = {"survivor_id": 1, "merged_id": 2, "survivor_version": 1, "merged_version": 1}
    response = Api(portal_user).call(method, path, body if path == "/merges" else {})
    assert response.status_code == 403


def test_unauthenticated_requests_are_refused():
    assert Api().get("/duplicates").status_code == 401


def test_operations_are_in_the_openapi_schema():
    paths = Api().get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/duplicates",
        "/api/v1/duplicates/scan",
        "/api/v1/merges",
        "/api/v1/merges/{merge_id}/undo",
        "/api/v1/duplicates/{candidate_id}/dismiss",
    ):
        assert path in paths
