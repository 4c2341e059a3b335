"""Shared by the bench generator and runner: scales, Django setup, the bench state table."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scale:
    name: str
    customers: int
    contacts: int
    orders: int
    order_lines: int
    timeline: int  # order entries + communication entries
    communications: int
    preferences: int
    tag_links: int
    teams: int = 5
    account_managers_per_team: int = 10


SCALES = {
    "small": Scale("small", 10_000, 20_000, 30_000, 100_000, 10_000, 3_000, 3_000, 3_500),
    "large": Scale(
        "large", 1_000_000, 2_000_000, 3_000_000, 10_000_000, 1_000_000, 300_000, 300_000, 350_000
    ),
}


def setup_django(scale: str) -> None:
    """Point Django at the bench database: ``DATABASE_URL`` if set, else a SQLite file of its
    own under ``var/`` (never the development database)."""
    sys.path.insert(0, str(ROOT))
    if not os.environ.get("DATABASE_URL"):
        var = Path(os.environ.get("GUANXI_VAR_DIR", ROOT / "var"))
        var.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{var / f'bench-{scale}.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    # Pages name static files without a collectstatic manifest (DEBUG is off by default).
    from django.conf import settings
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    storages.__dict__.pop("backends", None)  # cached from the settings: read them again
    storages._storages.pop("staticfiles", None)


def db_label() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
        return f"PostgreSQL {version} ({connection.settings_dict['NAME']})"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} ({connection.settings_dict['NAME']})"


# The bench keeps its own bookkeeping (finished phases, dropped index definitions, timings)
# in a plain table of the bench database, so an interrupted run can resume.
STATE_DDL = "CREATE TABLE IF NOT EXISTS bench_state (key VARCHAR(100) PRIMARY KEY, value TEXT)"


def state_get(key: str, default: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(STATE_DDL)
        cur.execute("SELECT value FROM bench_state WHERE key = %s", [key])
        row = cur.fetchone()
    return json.loads(row[0]) if row else default


def state_set(key: str, value: Any) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(STATE_DDL)
        cur.execute("DELETE FROM bench_state WHERE key = %s", [key])
        cur.execute(
            "INSERT INTO bench_state (key, value) VALUES (%s, %s)", [key, json.dumps(value)]
        )


def state_delete(key: str) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(STATE_DDL)
        cur.execute("DELETE FROM bench_state WHERE key = %s", [key])
