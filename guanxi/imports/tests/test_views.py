"""The import pages: sample values beside each column of the mapping form (issue 10, item
21), and the results part that follows an undo to 已撤销 by itself (item 22)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.core.models import Job, JobStatus
from guanxi.customers.models import Customer
from guanxi.imports import services
from guanxi.imports.models import ImportStatus
from guanxi.imports.tests.support import run_file, write_csv
from guanxi.imports.undo import import_undo

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_mapping_form_shows_sample_values_of_each_column(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["公司", "地区", "空列"],
            ["甲公司", "浙江 杭州", ""],
            ["乙公司", "浙江省杭州市", ""],
            ["丙公司", "浙江 杭州", ""],  # a repeated value is shown once
            ["丁公司", "浙江/杭州", ""],
        ],
    )
    run, _resumed = services.import_local_file(actor=admin_user, kind="customers", path=str(path))

    page = _client(admin_user).get(reverse("imports:import_detail", args=[run.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert _samples(html, 0) == ["甲公司", "乙公司", "丙公司"]
    assert _samples(html, 1) == ["浙江 杭州", "浙江省杭州市", "浙江/杭州"]
    assert _samples(html, 2) == []
    assert "示例值" in html


def test_sample_values_are_escaped_and_cut(tmp_path, admin_user):
    path = write_csv(tmp_path / "c.csv", [["公司", "备注"], ["<b>戊公司</b>", "x" * 100]])
    run, _resumed = services.import_local_file(actor=admin_user, kind="customers", path=str(path))

    html = _client(admin_user).get(reverse("imports:import_detail", args=[run.pk])).content
    text = html.decode()

    assert "<b>戊公司</b>" not in text and "&lt;b&gt;戊公司&lt;/b&gt;" in text
    assert _samples(text, 1) == ["x" * 40]


def _samples(html: str, index: int) -> list[str]:
    import re

    cell = re.search(rf'data-samples="{index}">(.*?)</td>', html, re.S)
    assert cell is not None
    return re.findall(r'<span class="[^"]*">(.*?)</span>', cell.group(1))


def test_the_results_poll_while_the_undo_runs_and_the_page_reloads_when_undone(
    tmp_path, admin_user, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "c.csv", [["客户名称"], ["甲公司"], ["乙公司"]])
    run = run_file(path, actor=admin_user)
    client = _client(admin_user)
    status = reverse("imports:import_status", args=[run.pk])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("imports:import_action", args=[run.pk, "undo"]))
    assert response.status_code == 302
    job = Job.objects.get(kind="import_undo")
    assert job.status == JobStatus.QUEUED  # no worker has taken it yet
    page = client.get(reverse("imports:import_detail", args=[run.pk])).content.decode()
    assert 'id="undo-pending"' in page and 'id="undo-button"' not in page
    assert f'hx-get="{status}?shown=finished"' in page

    polled = client.get(status, {"shown": "finished"}, HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and "HX-Refresh" not in polled
    body = polled.content.decode()
    assert 'data-undoing="true"' in body and 'hx-trigger="every 1s"' in body

    assert len(callbacks) == 1
    import_undo(run_id=run.pk, actor=admin_user)  # what the queued task does
    run.refresh_from_db()
    assert run.status == ImportStatus.UNDONE and Customer.objects.count() == 0

    polled = client.get(status, {"shown": "finished"}, HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true"
    page = client.get(reverse("imports:import_detail", args=[run.pk])).content.decode()
    assert 'data-status="undone"' in page and "已撤销" in page
    assert "hx-trigger" not in page.split('id="import-results"', 1)[1].split(">", 1)[0]


def test_a_finished_run_without_an_undo_does_not_poll(tmp_path, admin_user):
    run = run_file(write_csv(tmp_path / "c.csv", [["客户名称"], ["甲公司"]]), actor=admin_user)

    page = _client(admin_user).get(reverse("imports:import_detail", args=[run.pk]))

    head = page.content.decode().split('id="import-results"', 1)[1].split(">", 1)[0]
    assert "hx-get" not in head and 'id="undo-button"' in page.content.decode()
