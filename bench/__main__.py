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
    opts = parser.parse_args()
    db = "pg" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    figures: list[str] = []
    for args in (
        ["bench.generate", "--scale", opts.scale],
        ["bench.run", "--scale", opts.scale],
        ["bench.dedup_bench", "--scale", opts.scale],
        ["bench.analytics_bench", "--scale", opts.scale],
        ["bench.import_bench", "--rows", str(IMPORT_ROWS[opts.scale]), "--db", db],
    ):
        figures.extend(_run(args))
    print("\n== figures ==")
    print("\n".join(figures))


if __name__ == "__main__":
    main()
