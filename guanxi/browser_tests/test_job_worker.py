"""Issue 10 item 1 in a real browser, in Chinese and in English: with the database task
backend of a real start, an import that was run while no worker is alive says so on its
page (instead of "排队中 0%" forever, with no misleading "resume" button); once a worker
starts, the page follows the job to 100 % by itself, no reload, no click."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django_tasks_db.management.commands.db_worker import Worker

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.browser_tests.conftest import settled
from guanxi.core import workers
from guanxi.core.jobs import worker_id
from guanxi.core.models import WorkerProcess
from guanxi.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CSV = "客户名称,联系电话\n杭州西湖茶业有限公司,13800001111\n宁波港城物流有限公司,13900002222\n"
TEXT = {
    "zh-hans": {"switch": "中文", "no_worker": "没有正在运行的后台工作进程", "done": "已完成"},
    "en": {"switch": "English", "no_worker": "No background worker is running", "done": "Done"},
}


class _ThreadWorker:
    """What ``guanxi worker`` does, in a thread of the test process (its command installs
    signal handlers, which only the main thread may): the heartbeat that job pages read,
    and django-tasks' database worker polling the queue until told to stop."""

    def __init__(self) -> None:
        self.name = worker_id()
        self.worker = Worker(
            queue_names=["default"], interval=0.2, batch=False, backend_name="default",
            startup_delay=False, max_tasks=None, worker_id=self.name, excluded_queue_names=[],
        )  # fmt: skip
        self.thread = threading.Thread(target=self.worker.run, name="test-worker", daemon=True)

    def __enter__(self) -> _ThreadWorker:
        self.heartbeat = workers.start_heartbeat(worker=self.name)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.worker.running = False
        self.thread.join(timeout=30)
        workers.stop_heartbeat(self.heartbeat)


@pytest.fixture
def database_tasks() -> Iterator[None]:
    with override_settings(TASKS=DB_TASKS):
        yield


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_job_waits_visibly_for_a_worker_and_runs_when_one_starts(
    live_server: Any, page: Any, screenshot: Any, lang: str, tmp_path: Any, database_tasks: None
) -> None:
    t = TEXT[lang]
    UserFactory(username="boss", display_name="李经理", role=Role.ADMIN)
    upload = tmp_path / "客户.csv"
    upload.write_text(CSV, encoding="utf-8")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/customers/import/")
    page.select_option("#id_kind", "customers")
    page.set_input_files("#id_file", str(upload))
    page.click("#upload-submit")
    page.wait_for_url("**/customers/import/*/")
    page.click("#preview-button")
    page.locator("#preview").wait_for()
    page.click("#run-button")
    page.wait_for_url("**/customers/import/*/")

    # No worker: the job waits, and its page says why and what to start.
    notice = page.locator("#job-no-worker")
    notice.wait_for()
    assert t["no_worker"] in notice.inner_text()
    assert "guanxi worker" in notice.inner_text()
    assert page.locator("#import-progress .gx-job").get_attribute("data-status") == "queued"
    assert page.locator("#resume-button").count() == 0  # nothing to resume: it never started
    assert Customer.objects.count() == 0
    screenshot(f"{lang}-job-no-worker")

    with _ThreadWorker():
        # The page polls: the job runs and reaches 100 % with no reload.
        page.locator("#import-progress .gx-job[data-status=succeeded]").wait_for()
        assert page.locator("#import-progress .gx-job").get_attribute("data-progress") == "100"
        assert page.locator("#job-no-worker").count() == 0
        assert t["done"] in page.inner_text("#import-progress")
        page.locator("#import-results[data-status=finished]").wait_for()
        settled(page)
        assert page.inner_text("#import-results [data-count=created]") == "2"
        screenshot(f"{lang}-job-done-by-worker")
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "宁波港城物流有限公司",
        "杭州西湖茶业有限公司",
    ]
    assert not WorkerProcess.objects.exists()  # the worker that stopped said so
