"""Kill-and-resume with a real ``manage.py import`` process killed with SIGKILL mid-import,
idempotent re-import, and the dry run — each against its own SQLite database file, so
the subprocesses and the checks see the same data."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guanxi.imports.tests.support import write_csv

ROOT = Path(__file__).resolve().parents[3]
SETUP_DB = (
    "import django;django.setup();"
    "from django.apps import apps;from django.conf import settings;"
    "from django.core.management import call_command;"
    "settings.MIGRATION_MODULES={a.label: None for a in apps.get_app_configs()};"
    "call_command('migrate', run_syncdb=True, verbosity=0, interactive=False)"
)
ROWS = 12_000
CHUNK = 300


def _env(db: Path, var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        GUANXI_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="config.settings",
        TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
    )
    return env


def _new_db(tmp: Path, name: str) -> tuple[Path, dict[str, str]]:
    db = tmp / f"{name}.sqlite3"
    env = _env(db, tmp / "var")
    subprocess.run([sys.executable, "-c", SETUP_DB], cwd=ROOT, env=env, check=True)
    return db, env


def _import_cmd(path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "manage.py",
        "import",
        "customers",
        str(path),
        "--chunk-size",
        str(CHUNK),
        *extra,
    ]


def _data(tmp: Path) -> Path:
    rows: list[list[str]] = [["客户名称", "城市", "手机", "邮箱", "状态", "标签"]]
    for i in range(ROWS):
        email = f"c{i}@example.com" if i % 97 else "broken@@example"
        rows.append(
            [f"测试客户{i}有限公司", "上海", f"139{i:08d}", email, "活跃", "导入" if i % 2 else ""]
        )
        if i % 50 == 49:  # a later row repeating an earlier customer: an update
            rows.append([f"测试客户{i - 10}", "杭州", "", "", "", "复购"])
    return write_csv(tmp / "customers.csv", rows)


def _contents(db: Path) -> dict[str, object]:
    con = sqlite3.connect(db)
    try:

        def q(sql: str) -> list[tuple[object, ...]]:
            return con.execute(sql).fetchall()

        return {
            "customers": q(
                "SELECT name, city, phone, phone_key, email, status, version, "
                "name_pinyin, search_text FROM customers_customer ORDER BY name"
            ),
            "tags": q(
                "SELECT c.name, t.name FROM customers_customer_tags ct JOIN "
                "customers_customer c ON c.id = ct.customer_id JOIN customers_tag t "
                "ON t.id = ct.tag_id ORDER BY 1, 2"
            ),
            "audit": q(
                "SELECT model, action, source, actor_label, COUNT(*) FROM core_auditentry "
                "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2"
            ),
            "timeline": q("SELECT kind, COUNT(*) FROM customers_timelineentry GROUP BY 1"),
            "errors": q("SELECT row, code FROM customers_importrowerror ORDER BY row"),
        }
    finally:
        con.close()


def _last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    path = _data(tmp)
    db, env = _new_db(tmp, "clean")
    done = subprocess.run(
        _import_cmd(path), cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return path, db, env, _last_line(done.stdout)


def test_clean_run_summary(clean_run):
    _path, db, _env, summary = clean_run
    failed = len(range(0, ROWS, 97))
    repeats = [i - 10 for i in range(ROWS) if i % 50 == 49]
    of_rejected = sum(1 for i in repeats if i % 97 == 0)  # the first mention was rejected
    created, updated = ROWS - failed + of_rejected, len(repeats) - of_rejected
    assert summary == f"created={created} updated={updated} skipped=0 failed={failed}"
    assert _contents(db)["errors"][0] == (2, "invalid_email")


def test_killed_import_resumes_with_nothing_lost_or_doubled(clean_run, tmp_path):
    path, clean_db, _env, clean_summary = clean_run
    db, env = _new_db(tmp_path, "killed")
    proc = subprocess.Popen(
        _import_cmd(path),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    chunks = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            con = sqlite3.connect(db, timeout=1)
            row = con.execute("SELECT chunks_done FROM customers_importrun").fetchone()
            con.close()
        except sqlite3.OperationalError:
            row = None
        chunks = row[0] if row else 0
        if chunks >= 5:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = _contents(db)
    assert 0 < len(killed["customers"]) < ROWS

    resumed = subprocess.run(
        _import_cmd(path), cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    assert "resuming after row" in resumed.stderr
    assert _last_line(resumed.stdout) == clean_summary
    assert _contents(db) == _contents(clean_db)


def test_reimporting_the_same_file_changes_nothing(clean_run, tmp_path):
    path, clean_db, env, _summary = clean_run
    before = _contents(clean_db)

    again = subprocess.run(
        _import_cmd(path), cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    data_rows = ROWS + ROWS // 50
    assert _last_line(again.stdout) == f"created=0 updated=0 skipped={data_rows} failed=0"
    assert _contents(clean_db) == before


def test_dry_run_reports_the_real_counts_and_writes_nothing(clean_run, tmp_path):
    path, _db, _env, clean_summary = clean_run
    db, env = _new_db(tmp_path, "dry")

    dry = subprocess.run(
        _import_cmd(path, "--dry-run"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert _last_line(dry.stdout) == clean_summary
    contents = _contents(db)
    assert contents["customers"] == [] and contents["audit"] == []
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM customers_importrun").fetchone() == (0,)
    con.close()


def test_hostile_file_is_refused_by_the_command(clean_run, tmp_path):
    _path, _db, env, _summary = clean_run
    bad = tmp_path / "fake.xlsx"
    bad.write_bytes(b"%PDF-1.7\n" + b"x" * 100)

    done = subprocess.run(_import_cmd(bad), cwd=ROOT, env=env, capture_output=True, text=True)

    assert done.returncode == 1
    assert "不是表格" in done.stderr
