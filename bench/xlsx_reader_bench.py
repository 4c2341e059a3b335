"""The streaming XLSX reader against openpyxl's ``read_only`` mode (for ADR 0002):
``python -m bench.xlsx_reader_bench --rows 200000``.

Writes one sheet of ``--rows`` customer-like rows (12 columns: text, Chinese text, numbers,
dates) with openpyxl's write-only mode, then reads every cell of it in a fresh process per
reader, and prints per reader the rows per second and the process's peak resident memory:
``xlsx_read_rows_per_s_stream``, ``xlsx_read_rows_per_s_openpyxl`` and ``*_peak_mb``. The
readers return the same cells as text (the stream reader's import form); the openpyxl
figure includes turning its values into text the same way, as an import would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal


def _write(path: str, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(["名称", "类型", "电话", "邮箱", "省份", "城市", "地址", "金额", "数量",
                  "日期", "备注", "编号"])  # fmt: skip
    day = dt.date(2024, 1, 1)
    for i in range(rows):
        sheet.append([
            f"上海瀚海信息科技有限公司{i}", "enterprise", f"138{i:08d}", f"info{i}@example.com",
            "上海", "上海", f"浦东新区张江路{i % 999}号", Decimal(i % 100000) / 100, i % 50,
            day + dt.timedelta(days=i % 700), "年度预算通常在每年11月确定。", i,
        ])  # fmt: skip
    book.save(path)


def _read_stream(path: str) -> int:
    from guanxi.core.io.tabular import open_table

    n = 0
    with open_table(path) as table:
        for _number, cells in table.rows():
            n += len(cells)
    return n


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return str(value)


def _read_openpyxl(path: str) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    n = 0
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            n += len([_text(v) for v in row])
    finally:
        book.close()
    return n


def _child(reader: str, path: str, rows: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    read = {"stream": _read_stream, "openpyxl": _read_openpyxl}[reader]
    t = time.perf_counter()
    cells = read(path)
    elapsed = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{reader} {rows / elapsed:.0f} {peak_mb:.0f} {cells}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"))
    opts = parser.parse_args()
    if opts.child:
        _child(opts.child[0], opts.child[1], opts.rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rows.xlsx")
        t = time.perf_counter()
        _write(path, opts.rows)
        size_mb = os.path.getsize(path) / 1e6
        print(f"wrote {opts.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - t:.1f} s")
        figures = []
        for reader in ("stream", "openpyxl"):
            out = subprocess.run(
                [sys.executable, "-m", "bench.xlsx_reader_bench", "--rows", str(opts.rows),
                 "--child", reader, path],
                check=True, capture_output=True, text=True,
            ).stdout.split()  # fmt: skip
            rate, peak, cells = out[1], out[2], out[3]
            print(f"{reader}: {int(cells):,} cells")
            figures += [
                f"xlsx_read_rows_per_s_{reader}: {rate} rows/s",
                f"xlsx_read_{reader}_peak_mb: {peak} MB",
            ]
        print("\n".join(figures))


if __name__ == "__main__":
    main()
