"""A preview is a dry run before the run starts: on a started, finished or undone run the
API answers 409 with a message saying why (it used to reuse the run's chunk checkpoints
and fail with an IntegrityError, a 500), and nothing changes."""

from __future__ import annotations

import pytest

from guanxi.customers.models import Customer
from guanxi.customers.tests.test_api_support import BASE
from guanxi.imports.models import ImportChunk, ImportRun
from guanxi.imports.tests.support import csv_bytes
from guanxi.imports.tests.test_api import GBK_ROWS, client_for, upload

pytestmark = pytest.mark.django_db


def _finished_run(api, django_capture_on_commit_callbacks) -> int:
    run_id = upload(api, csv_bytes(GBK_ROWS, encoding="gbk")).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{BASE}/imports/{run_id}/run").status_code == 202
    assert ImportRun.objects.get(pk=run_id).status == "finished"
    return run_id


def test_preview_of_a_finished_run_is_409_and_changes_nothing(
    admin_user, django_capture_on_commit_callbacks
):
    api = client_for(admin_user)
    run_id = _finished_run(api, django_capture_on_commit_callbacks)
    before = (
        list(ImportRun.objects.values()),
        list(ImportChunk.objects.values()),
        Customer.objects.count(),
    )

    response = api.post(f"{BASE}/imports/{run_id}/preview")

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "conflict"
    assert response.json()["field"] == "status"
    assert "预览" in response.json()["message"]
    after = (
        list(ImportRun.objects.values()),
        list(ImportChunk.objects.values()),
        Customer.objects.count(),
    )
    assert after == before


def test_preview_of_a_finished_run_is_refused_in_english(
    admin_user, django_capture_on_commit_callbacks
):
    api = client_for(admin_user)
    run_id = _finished_run(api, django_capture_on_commit_callbacks)

    response = api.post(f"{BASE}/imports/{run_id}/preview", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert "preview" in response.json()["message"].lower()
