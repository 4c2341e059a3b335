"""``make bench`` = ``python -m bench --scale small|large``: generate the data set, run every
benchmark (each in its own process), then print every figure again, one per line as
``name: value unit``, last. The database is ``DATABASE_URL`` (SQLite when unset)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

FIGURE = re.compile(r"^[a-z][a-z0-9_]*: -?[0-9][0-9.,]* \S+$")
IMPORT_ROWS = {"small": 100_000, "large": 1_000_000}


def _run(args: list[str]) -> list[str]:
    print(f"\n$ python -m {' '.join(args)}", flush=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    figures = []
    for line in proc.stdout:
        sys.stdout.write(line)
        if FIGURE.match(line.strip()):
            figures.append(line.strip())
    if proc.wait() != 0:
        figures.append(f"# {args[0]} failed with exit code {proc.returncode}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated benches to run, e.g. notifications,webhooks (default: all): "
        "generate, run, dedup, analytics, import, webhooks, notifications, sales, pool, "
        "forecast, service, evm, kpi, receivables, projects, quotes, portal",
    )
    opts = parser.parse_args()
    db = "pg" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    benches = {
        "generate": ["bench.generate", "--scale", opts.scale],
        "run": ["bench.run", "--scale", opts.scale],
        "dedup": ["bench.dedup_bench", "--scale", opts.scale],
        "analytics": ["bench.analytics_bench", "--scale", opts.scale],
        "import": ["bench.import_bench", "--rows", str(IMPORT_ROWS[opts.scale]), "--db", db],
        "webhooks": ["bench.webhooks_bench", "--events", "2000"],
        "notifications": ["bench.notifications_bench", "--scale", opts.scale],
        "sales": ["bench.sales_bench", "--scale", opts.scale],
        "pool": ["bench.pool_bench", "--scale", opts.scale],
        "forecast": ["bench.forecast_bench", "--scale", opts.scale],
        "service": ["bench.service_bench", "--scale", opts.scale],
        "evm": ["bench.evm_bench", "--scale", opts.scale],
        "kpi": ["bench.kpi_bench", "--scale", opts.scale],
        "receivables": ["bench.receivables_bench", "--scale", opts.scale],
        "projects": ["bench.projects_bench", "--scale", opts.scale],
        "quotes": ["bench.quotes_bench"],
        "portal": ["bench.portal_bench", "--scale", opts.scale],
    }
    only = [name.strip() for name in opts.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(benches))
    if unknown:
        parser.error(f"unknown benches {', '.join(unknown)}; choose from {', '.join(benches)}")
    figures: list[str] = []
    for name, args in benches.items():
        if only and name not in only:
            continue
        figures.extend(_run(args))
    print("\n== figures ==")
    print("\n".join(figures))


if __name__ == "__main__":
    main()
