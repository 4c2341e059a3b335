"""Reading while ``services.analytics_recompute`` writes: the customer list, the customer
360 page and the dashboard show the previous run until the recompute commits, then the new
one — never a mix.

The recompute runs in a thread with its own database connection and pauses inside its
transaction once the new run is completely written (``services._written``); the main
thread reads through the public selectors meanwhile. SQLite's test database is in memory
with a shared cache, where a reader waits for a writer's table lock instead of reading the
last commit, so on SQLite the test runs on a copy of it in a WAL file, as a deployment
does."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.analytics import selectors, services
from guanxi.analytics.models import AnalyticsRun, RunStatus
from guanxi.analytics.tests import builders
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db(transaction=True)

AS_OF = builders.AS_OF


@pytest.fixture
def wal_database(transactional_db: None, tmp_path: Any) -> Iterator[None]:
    """PostgreSQL: the test database. SQLite: the (migrated, empty) in-memory test database
    copied into a WAL file for this test; the in-memory one is set aside, open (closing
    it would destroy it), and put back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    memory = connection.connection
    path = tmp_path / "readers.sqlite3"
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    settings_dict = connection.settings_dict
    name = settings_dict["NAME"]
    connection.connection = None
    settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = name
        connection.connection = memory


def _book() -> dict[str, Any]:
    team = TeamFactory(name="华东销售部")
    admin = UserFactory(username="admin1", role=Role.ADMIN, is_superuser=True, is_staff=True)
    am = UserFactory(username="am_a", role=Role.ACCOUNT_MANAGER, team=team)
    services.analytics_settings_update(
        actor=admin,
        version=builders.settings_version(),
        changes={"cycle_threshold_short": 30, "cycle_threshold_long": 90,
                 "amount_threshold_small": 100, "amount_threshold_large": 500},
    )  # fmt: skip
    grid = builders.grid_book(owner=am)
    return {"admin": admin, "grid": grid}


def _change_the_orders(book: dict[str, Any]) -> dict[str, Any]:
    """Between the runs: one customer moves from 优化 (small, long) to 铂金 (large, short),
    one loses all its orders, one buys for the first time."""
    grid = book["grid"]
    mover, gone = grid[("small", "long")], grid[("medium", "medium")]
    Order.objects.filter(customer=mover).delete()
    builders.add_orders(mover, builders.regular_orders(10, Decimal("900.00"), count=4))
    Order.objects.filter(customer=gone).update(status=OrderStatus.CANCELLED)
    newcomer = CustomerFactory(name="新客户", owner=grid[("large", "short")].owner)
    builders.add_orders(newcomer, [(AS_OF - dt.timedelta(days=3), Decimal("80.00"))])
    return {"mover": mover, "gone": gone, "newcomer": newcomer}


def _read(admin: Any, customers: dict[str, Any]) -> dict[str, Any]:
    """What the pages show, read through their selectors (the dashboard's cache cleared,
    so its figures are read from the tables)."""
    listed = customer_selectors.customer_list(
        actor=admin, filters=customer_selectors.CustomerFilters(), size=100
    )
    columns = {
        c.pk: (c.value.value_class, c.value.cycle_band, c.value.amount_band)
        for c in listed.items
        if hasattr(c, "value")
    }
    platinum = customer_selectors.customer_list(
        actor=admin, filters=customer_selectors.validate_filters({"value_class": "platinum"})
    )
    cards = {}
    for key, customer in customers.items():
        shown = customer_selectors.customer_get(actor=admin, customer_id=customer.pk)
        value = getattr(shown, "value", None)
        cards[key] = (
            None
            if value is None
            else (value.value_class, value.revenue, value.purchases, value.rfm_segment,
                  value.revenue_rank)
        )  # fmt: skip
    cache.clear()
    board = selectors.dashboard(actor=admin, filters=selectors.ValueFilters())
    return {
        "list": columns,
        "platinum": sorted(c.pk for c in platinum.items),
        "cards": cards,
        "run": board["run"].pk,
        "classes": {row["code"]: row["count"] for row in board["matrix"]["classes"]},
        "revenue": board["profitability"]["revenue"],
        "key_list": [v.pk for v in board["key_list"]],
    }


def test_readers_see_the_previous_run_until_the_recompute_commits(wal_database, monkeypatch):
    book = _book()
    admin = book["admin"]
    first = services.analytics_recompute(actor=admin, as_of=AS_OF)
    customers = _change_the_orders(book)
    before = _read(admin, customers)
    assert before["run"] == first.pk
    assert before["cards"]["newcomer"] is None

    paused, resume = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def pause(run: AnalyticsRun) -> None:
        paused.set()
        resume.wait()

    def recompute() -> None:
        try:
            services.analytics_recompute(actor=admin, as_of=AS_OF)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
            paused.set()
        finally:
            connections.close_all()

    monkeypatch.setattr(services, "_written", pause)
    writer = threading.Thread(target=recompute)
    writer.start()
    try:
        paused.wait()
        assert not failures, failures
        running = AnalyticsRun.objects.exclude(pk=first.pk).get()
        assert running.status == RunStatus.RUNNING  # its values are written, not committed
        during = _read(admin, customers)
    finally:
        resume.set()
        writer.join()
    assert not failures, failures

    after = _read(admin, customers)
    assert during == before
    assert after["run"] == running.pk
    assert after["cards"]["mover"][0] == "platinum" != before["cards"]["mover"][0]
    assert after["cards"]["gone"] is None is not before["cards"]["gone"]
    assert after["cards"]["newcomer"][0] == "insufficient"
    assert customers["mover"].pk in after["platinum"]
    assert customers["mover"].pk not in before["platinum"]
    assert after["classes"] != before["classes"]
    assert after["list"] != before["list"]
