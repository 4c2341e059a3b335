"""Import and export benchmarks: ``python -m bench.import_bench [--rows N] [--db sqlite|pg]``.

Generates ``N`` customer rows (CSV and XLSX, under ``var/bench-import/``; 5 % of the rows
repeat an earlier customer with another spelling, 0.2 % are invalid) and imports them
with duplicate matching on (``--on-duplicate update``, the default) into a fresh database,
each format in its own process so peak memory (``ru_maxrss``) is per import. Then exports
every customer to CSV. PostgreSQL runs use databases named ``gx_bench_import*`` only.

Figures, printed last as ``name: value unit``: ``import_rows_per_s_csv``,
``import_rows_per_s_xlsx``, ``import_peak_mem_mb`` (the larger of the two imports),
``export_rows_per_s``. With ``--into postgres://…/gx_bench_large`` instead: the CSV imported
into that populated database (the SPEC's "at that size") and then undone, leaving it as it
was: ``import_rows_per_s_into_populated`` and ``import_undo_rows_per_s``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench-import"
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1")


def generate(rows: int, seed: int = 7) -> tuple[Path, Path]:
    """The CSV and XLSX files of ``rows`` customers (cached by size)."""
    from guanxi.demo.words import CITIES, brand

    OUT.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = OUT / f"customers-{rows}.csv", OUT / f"customers-{rows}.xlsx"
    if csv_path.exists() and xlsx_path.exists():
        return csv_path, xlsx_path
    rng = random.Random(seed)
    header = [
        "客户名称",
        "客户类型",
        "省份",
        "城市",
        "手机",
        "邮箱",
        "状态",
        "客户起始日期",
        "行业",
    ]
    kinds = ["企业", "公司", "政府机构", "银行", "项目发起方"]
    statuses = ["活跃", "潜在", "休眠", "流失"]
    data: list[list[str]] = []
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i in range(rows):
            if i > 100 and rng.random() < 0.05:  # an earlier customer again
                j = rng.randrange(i)
                row = [f"{brand(random.Random(j))}{j}科技", "", "", "", "", "", "活跃", "", ""]
            else:
                province, city, _area, _w, _r = rng.choice(CITIES)
                mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                email = f"c{i}@example.com" if rng.random() < 0.6 else ""
                if rng.random() < 0.002:
                    email = "broken@@example"
                name = f"{brand(random.Random(i))}{i}科技有限公司"
                row = [
                    name,
                    rng.choice(kinds),
                    province,
                    city,
                    mobile,
                    email,
                    rng.choice(statuses),
                    f"20{rng.randrange(10, 25)}/{rng.randrange(1, 13)}/{rng.randrange(1, 29)}",
                    rng.choice(["信息技术", "制造业", "贸易"]),
                ]
            writer.writerow(row)
            data.append(row)
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(header)
    for row in data:
        ws.append(row)
    wb.save(xlsx_path)
    return csv_path, xlsx_path


def setup_db(url: str) -> None:
    """A fresh database with the real schema (every migration, so every index the
    production database has, PostgreSQL's search indexes included)."""
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[1]
        assert name.startswith("gx_bench_import"), name
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    else:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0", "--no-input"],
        cwd=ROOT,
        env=_env(url),
        check=True,
    )


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
    }


def child_import(path: str) -> None:
    """Runs in its own process: import ``path`` as the system, print a JSON result."""
    import django

    django.setup()
    from guanxi.imports.pipeline import import_execute
    from guanxi.imports.services import import_local_file

    started, cpu = time.perf_counter(), time.process_time()
    run, _ = import_local_file(actor=None, kind="customers", path=path)
    run = import_execute(run=run, actor=None, chunk_rows=5000)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the import reads and cleans the file in a worker process: count its peak too (the
    # sum of the two peaks: an upper bound, their pages are partly shared after the fork)
    peak_mb = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ) / 1024
    print(
        json.dumps(
            {
                "rows": run.processed_rows,
                "seconds": elapsed,
                "cpu_s": round(cpu, 2),
                "worker_cpu_s": round(worker.ru_utime + worker.ru_stime, 2),
                "peak_mb": peak_mb,
                "created": run.created_count,
                "updated": run.updated_count,
                "skipped": run.skipped_count,
                "failed": run.failed_count,
            }
        )
    )


def child_into(path: str) -> None:
    """Runs in its own process against a populated database (``--into``): import ``path``
    as the system, then undo that import, so the database is left as it was; print both."""
    import django

    django.setup()
    from guanxi.customers.models import Customer
    from guanxi.imports.pipeline import import_execute
    from guanxi.imports.services import import_local_file
    from guanxi.imports.undo import import_undo

    existing = Customer.objects.count()
    started = time.perf_counter()
    run, _ = import_local_file(actor=None, kind="customers", path=path)
    run = import_execute(run=run, actor=None, chunk_rows=5000)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    undone = import_undo(run_id=run.pk, actor=None)
    undo_s = time.perf_counter() - started
    after = Customer.objects.count()
    if after != existing:
        raise SystemExit(f"undo left {after - existing:+,} customers")
    print(
        json.dumps(
            {
                "existing": existing,
                "rows": run.processed_rows,
                "seconds": elapsed,
                "created": run.created_count,
                "updated": run.updated_count,
                "undo_seconds": undo_s,
                **undone,
            }
        )
    )


def child_export() -> None:
    import django

    django.setup()
    from guanxi.accounts.models import Role, User
    from guanxi.core.io.spreadsheet_export import write_csv
    from guanxi.imports.exporting import export_headers, export_queryset, export_rows

    admin, _ = User.objects.get_or_create(username="bench_export", defaults={"role": Role.ADMIN})
    started = time.perf_counter()
    qs = export_queryset(actor=admin, kind="customers", params={})
    with open(OUT / "export.csv", "wb") as fh:
        n = write_csv(export_rows(qs, "customers"), export_headers("customers"), fh)
    elapsed = time.perf_counter() - started
    print(json.dumps({"rows": n, "seconds": elapsed}))


def _child(url: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.import_bench", *args],
        cwd=ROOT,
        env=_env(url),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--child-import")
    parser.add_argument("--child-export", action="store_true")
    parser.add_argument("--only", default="csv,xlsx,export")
    parser.add_argument(
        "--into",
        help="a populated bench database (postgres://…/gx_bench_large): import the CSV "
        "into it and undo that import, instead of the fresh-database runs",
    )
    parser.add_argument("--child-into")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.child_import:
        child_import(args.child_import)
        return 0
    if args.child_into:
        child_into(args.child_into)
        return 0
    if args.child_export:
        child_export()
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    csv_path, xlsx_path = generate(args.rows)
    if args.into:
        assert args.into.rsplit("/", 1)[1].startswith("gx_bench_"), args.into
        result = _child(args.into, "--child-into", str(csv_path))
        print(f"into: {result}", flush=True)
        print(f"\ndatabase: {args.into}; {result['existing']:,} customers; rows: {args.rows:,}")
        print(f"import_rows_per_s_into_populated: {result['rows'] / result['seconds']:,.0f} rows/s")
        print(f"import_undo_rows_per_s: {result['rows'] / result['undo_seconds']:,.0f} rows/s")
        return 0
    url = (
        f"{PG_BASE}/gx_bench_import"
        if args.db == "pg"
        else f"sqlite:///{OUT / 'bench-import.sqlite3'}"
    )
    only = args.only.split(",")
    figures: dict[str, str] = {}
    peak = 0.0
    for fmt, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        if fmt not in only:
            continue
        setup_db(url)
        result = _child(url, "--child-import", str(path))
        print(f"{fmt}: {result}", flush=True)
        figures[f"import_rows_per_s_{fmt}"] = f"{result['rows'] / result['seconds']:,.0f} rows/s"
        peak = max(peak, result["peak_mb"])
    if peak:
        figures["import_peak_mem_mb"] = f"{peak:,.0f} MB"
    if "export" in only:
        result = _child(url, "--child-export")
        print(f"export: {result}", flush=True)
        figures["export_rows_per_s"] = f"{result['rows'] / result['seconds']:,.0f} rows/s"
    print(f"\ndatabase: {args.db}; rows: {args.rows:,}")
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
