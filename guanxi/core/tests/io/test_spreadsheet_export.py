"""Tests for guanxi.core.io.spreadsheet_export (pure Python: no Django needed)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.io.spreadsheet_export import (
    escape_cell,
    iter_csv,
    unescape_cell,
    write_csv,
    write_xlsx,
)
from guanxi.core.io.tabular import open_table

DANGEROUS = set("=+-@\t\r\n＝＋－＠﹦﹢﹣﹫")


def is_dangerous_start(s: str) -> bool:
    if not s:
        return False
    first = s[0]
    if first in DANGEROUS or first < " " or "\x7f" <= first <= "\x9f":
        return True
    rest = s.lstrip()
    return bool(rest) and rest is not s and (rest[0] in DANGEROUS or rest[0] < " ")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil","点我")', '\'=HYPERLINK("http://evil","点我")'),
        ("+86 138", "'+86 138"),
        ("-12.5", "'-12.5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("\n", "'\n"),
        ("\x00x", "'\x00x"),
        ("\x1b[31m", "'\x1b[31m"),
        ("  =1+1", "'  =1+1"),
        ("\u3000=1+1", "'\u3000=1+1"),
        ("＝1+1", "'＝1+1"),
        ("'quoted", "''quoted"),
        ("华为", "华为"),
        ("a=b", "a=b"),
        ("  plain", "  plain"),
        ("", ""),
    ],
)
def test_escape_cell_strings(raw: str, expected: str) -> None:
    assert escape_cell(raw) == expected
    assert unescape_cell(escape_cell(raw)) == raw  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        -12.5,
        -3,
        0,
        Decimal("-1200.50"),
        True,
        None,
        dt.date(2024, 3, 5),
        dt.datetime(2024, 3, 5, 1, 2),
    ],
)
def test_escape_cell_leaves_real_values(value: object) -> None:
    assert escape_cell(value) is value


def test_escape_cell_other_objects_become_text() -> None:
    class Lazy:
        def __str__(self) -> str:
            return "=evil()"

    assert escape_cell(Lazy()) == "'=evil()"


@given(st.text())
def test_escaped_strings_never_start_dangerously(s: str) -> None:
    out = escape_cell(s)
    assert isinstance(out, str)
    assert not is_dangerous_start(out) or out.startswith("'")
    if out.startswith("'"):
        assert out == "'" + s
    else:
        assert out == s and not is_dangerous_start(s)


@given(st.text())
def test_unescape_round_trip(s: str) -> None:
    out = escape_cell(s)
    assert isinstance(out, str)
    assert unescape_cell(out) == s


@given(st.text(alphabet=st.sampled_from("=+-@'\t\r\n \u3000ab1"), max_size=6))
def test_round_trip_on_dangerous_alphabet(s: str) -> None:
    out = escape_cell(s)
    assert isinstance(out, str)
    assert unescape_cell(out) == s
    assert not is_dangerous_start(out)


# --------------------------------------------------------------------------------------
# CSV

HEADERS = ["名称", "电话", "金额", "日期", "备注"]


def sample_rows() -> list[list[object]]:
    return [
        ["华为", "+8613800138000", Decimal("1200.50"), dt.date(2024, 3, 5), "=1+1"],
        ["腾讯", "13900139000", Decimal("-3"), dt.datetime(2024, 3, 5, 14, 30), "含,逗号\n和换行"],
        ["=cmd|' /C calc'!A0", None, 12.5, None, True],
    ]


def test_write_csv_binary_with_bom() -> None:
    out = io.BytesIO()
    assert write_csv(sample_rows(), HEADERS, out) == 3
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") >= 4
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == HEADERS
    assert rows[1] == ["华为", "'+8613800138000", "1200.50", "2024-03-05", "'=1+1"]
    assert rows[2] == ["腾讯", "13900139000", "-3", "2024-03-05 14:30:00", "含,逗号\n和换行"]
    assert rows[3] == ["'=cmd|' /C calc'!A0", "", "12.5", "", "TRUE"]


def test_write_csv_text_file_and_no_bom(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        assert write_csv(iter(sample_rows()), HEADERS, fh, bom=False) == 3
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode().splitlines()[0] == ",".join(HEADERS)


def test_csv_headers_are_escaped_too() -> None:
    out = io.BytesIO()
    write_csv([], ["=HEADER", "ok"], out, bom=False)
    assert out.getvalue() == b"'=HEADER,ok\r\n"


def test_iter_csv_streams_in_chunks() -> None:
    rows = ([f"客户{i}", i] for i in range(2000))
    chunks = list(iter_csv(rows, ["名称", "序号"]))
    assert len(chunks) > 2
    assert b"".join(chunks).decode("utf-8-sig").count("\r\n") == 2001


def test_csv_round_trip_through_reader() -> None:
    out = io.BytesIO()
    write_csv(sample_rows(), HEADERS, out)
    table = open_table(out.getvalue(), filename="export.csv")
    assert table.encoding == "utf-8-sig"
    assert table.headers == HEADERS
    rows = list(table.rows())
    assert rows[0][1][4] is not None
    assert unescape_cell(rows[0][1][4]) == "=1+1"


# --------------------------------------------------------------------------------------
# XLSX


def test_write_xlsx_types_and_escaping(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    rows: list[list[object]] = [
        *sample_rows(),
        ["bad\x00ctrl\x1fchars", 13800138000123456789, float("nan"), dt.time(9, 30), "x" * 40000],
        [
            dt.datetime(2024, 3, 5, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            7,
            False,
            None,
            "\x01=1+1",
        ],
    ]
    assert write_xlsx(rows, HEADERS, str(path)) == 5

    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == HEADERS
    assert values[1][0] == "华为"
    assert values[1][1] == "'+8613800138000"
    assert values[1][2] == pytest.approx(1200.5)
    assert ws["C2"].data_type == "n"
    assert values[1][3] == dt.datetime(2024, 3, 5)
    assert ws["D2"].is_date
    assert values[1][4] == "'=1+1"
    assert ws["E2"].data_type == "s"  # never a formula
    assert values[3][0] == "'=cmd|' /C calc'!A0"
    assert values[3][4] is True
    assert values[4][0] == "badctrlchars"
    assert values[4][1] == "13800138000123456789"  # too long for a double: text
    assert values[4][2] is None
    assert len(values[4][4]) == 32767
    assert values[5][0] == dt.datetime(2024, 3, 5, 8, 0)
    assert values[5][4] == "'=1+1"

    # no cell anywhere in the sheet XML is a formula
    with zipfile.ZipFile(path) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_write_xlsx_to_fileobj_and_read_back() -> None:
    out = io.BytesIO()
    rows = (
        [f"客户{i}", Decimal(i) / 4, dt.date(2024, 1, 1) + dt.timedelta(days=i)] for i in range(500)
    )
    assert write_xlsx(rows, ["名称", "金额", "日期"], out, sheet_title="客户/导出[1]") == 500
    table = open_table(out.getvalue(), filename="导出.xlsx")
    assert table.sheet_names == ["客户_导出_1_"]
    got = list(table.rows())
    assert got[0] == (2, ["客户0", "0", "2024-01-01"])
    assert got[-1] == (501, ["客户499", "124.75", "2025-05-14"])


def test_export_then_import_then_clean_round_trip() -> None:
    from guanxi.core.text.cleaning import normalize_phone, parse_amount, parse_date

    rows = [
        ["+86-13800138000", "-1,200.50", "2024-03-05"],
        ["(010) 6552-1234", "-3", "=2024-03-05"],
    ]
    for writer in ("csv", "xlsx"):
        out = io.BytesIO()
        if writer == "csv":
            write_csv(rows, ["电话", "金额", "日期"], out)
        else:
            write_xlsx(rows, ["电话", "金额", "日期"], out)
        table = open_table(out.getvalue())
        got = [values for _, values in table.rows()]
        assert got[0][0] == "'+86-13800138000"  # stored escaped ...
        assert normalize_phone(got[0][0]) == "13800138000"  # ... and cleaned transparently
        assert normalize_phone(got[1][0]) == "01065521234"
        assert parse_amount(got[0][1]) == Decimal("-1200.50")
        assert parse_date(got[0][2]) == dt.date(2024, 3, 5)
        assert unescape_cell(got[1][2] or "") == "=2024-03-05"
