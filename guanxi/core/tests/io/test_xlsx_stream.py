"""Tests for guanxi.core.io.xlsx_stream, mostly through open_table (the contract callers see).

Every XLSX fixture that goes through ``read`` is read twice: with the one-regex path for
usual rows and with expat for every row, and both must agree.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from guanxi.core.io import xlsx_stream
from guanxi.core.io.tabular import Limits, Table, TabularError, open_table
from guanxi.core.tests.io.test_tabular import (
    _NS,
    build_xlsx,
    incompressible,
    inline,
    read_all,
    sheet_xml,
    table_error,
)

Rows = list[tuple[int, list[str | None]]]


def _all_rows_by_expat(prefix: bytes) -> re.Pattern[bytes]:
    """A row pattern whose every token is "something else": each row goes to expat."""
    return re.compile(rb"()()()()()()()()()()(.)", re.S)


@pytest.fixture(params=["usual", "expat"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "expat":
        monkeypatch.setattr(xlsx_stream, "_row_pattern", _all_rows_by_expat)
    return str(request.param)


def read(data: bytes, **kwargs: object) -> tuple[Table, Rows]:
    table = open_table(data, **kwargs)  # type: ignore[arg-type]
    return table, read_all(table)


def replace_entries(data: bytes, entries: dict[str, bytes]) -> bytes:
    """``data`` with some zip entries replaced or added."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            if info.filename not in entries:
                dst.writestr(info, src.read(info))
        for name, payload in entries.items():
            dst.writestr(name, payload)
    return buf.getvalue()


def workbook_xml(sheets: str, pr: str = "") -> bytes:
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="{rel_ns}">{pr}'
        f"<sheets>{sheets}</sheets></workbook>"
    ).encode()


def styles_xml(custom: dict[int, str], cell_formats: list[int]) -> bytes:
    fmts = "".join(
        f'<numFmt numFmtId="{i}" formatCode="{code.replace(chr(34), "&quot;")}"/>'
        for i, code in custom.items()
    )
    xfs = "".join(f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0"/>' for i in cell_formats)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {_NS}><numFmts>{fmts}</numFmts>'
        f'<cellStyleXfs><xf numFmtId="14"/></cellStyleXfs><cellXfs>{xfs}</cellXfs>'
        # differential formats reuse ids; they must not redefine cell formats
        f'<dxfs><dxf><numFmt numFmtId="{max(custom, default=164)}" formatCode="0.00"/></dxf></dxfs>'
        "</styleSheet>"
    ).encode()


def shared_strings_xml(items: list[str]) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="{len(items)}">'
        + "".join(items)
        + "</sst>"
    ).encode()


def header_and(row2: str, header: str = "") -> str:
    """A sheet with an inline header in row 1 and ``row2`` as row 2's cells."""
    return f'<row r="1">{header or inline("A1", "h")}</row><row r="2">{row2}</row>'


# --------------------------------------------------------------------------------------
# Strings


def test_shared_strings_rich_text_phonetics_and_escapes(path: str) -> None:
    sst = shared_strings_xml(
        [
            '<si><t xml:space="preserve"> 名称 </t></si>',
            # runs are concatenated; phonetic runs dropped; each run is trimmed unless
            # xml:space="preserve" (what calamine did)
            '<si><r><t>张</t></r><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve">三 '
            '</t></r><r><t> 丰</t></r><rPh sb="0" eb="1"><t>チョウ</t></rPh>'
            '<phoneticPr fontId="1"/></si>',
            "<si><t>a_x000D_b_x005F_x0041_</t></si>",
            "<si><t>A&amp;B &lt;公司&gt; &#x4e2d;&#25991;</t></si>",
            "<si><t/></si>",
            "<si>\n  <t>pretty</t>\n</si>",
            "<si><t>" + "长" * 300 + "</t></si>",
        ]
    )
    cells = "".join(f'<c r="{chr(65 + i)}2" t="s"><v>{i}</v></c>' for i in range(7))
    header = "".join(inline(f"{chr(65 + i)}1", f"h{i}") for i in range(7))
    data = build_xlsx(
        [("S", sheet_xml(header_and(cells, header)))],
        extra=[("xl/sharedStrings.xml", sst)],
    )
    _, rows = read(data)
    assert rows == [
        (
            2,
            [
                "名称",
                "张三 丰",
                "a\rb_x0041_",
                "A&B <公司> 中文",
                None,
                "pretty",
                "长" * 300,
            ],
        )
    ]


def test_shared_string_index_out_of_range_is_bad_xlsx(path: str) -> None:
    sst = shared_strings_xml(["<si><t>x</t></si>"])
    data = build_xlsx(
        [("S", sheet_xml(header_and('<c r="A2" t="s"><v>5</v></c>')))],
        extra=[("xl/sharedStrings.xml", sst)],
    )
    err = table_error(data)
    assert (err.code, err.row) == ("bad_xlsx", 2)


def test_inline_strings(path: str) -> None:
    cells = (
        inline("A2", " 张三 ")
        + '<c r="B2" t="inlineStr"><is><r><t>甲</t></r><r><rPr><i/></rPr><t>乙</t></r>'
        "<rPh><t>コウ</t></rPh></is></c>"
        + '<c r="C2" t="inlineStr"><is><t>line1\r\nline2&#13;</t></is></c>'
        + '<c r="D2" t="inlineStr"/>'
        + inline("E2", "=HYPERLINK(&quot;x&quot;)")
    )
    header = "".join(inline(f"{c}1", c) for c in "ABCDE")
    _, rows = read(build_xlsx([("S", sheet_xml(header_and(cells, header)))]))
    assert rows == [(2, ["张三", "甲乙", "line1\nline2", None, '=HYPERLINK("x")'])]


# --------------------------------------------------------------------------------------
# Positions


def test_gaps_in_columns_and_rows_keep_spreadsheet_numbers(path: str) -> None:
    rows = (
        '<row r="2">' + inline("B2", "名称") + inline("D2", "电话") + "</row>"
        '<row r="7"><c r="B7" t="inlineStr"><is><t>张三</t></is></c><c r="D7"><v>138</v></c></row>'
        '<row r="8"><c r="C8" t="inlineStr"><is><t> </t></is></c></row>'  # blank
        "<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>"  # row 9, cells A9, B9, C9
        '<row r="1000"><c r="D1000"><v>4</v></c></row>'
    )
    table, got = read(build_xlsx([("S", sheet_xml(rows))]))
    # the first used column is A (row 9), so the header starts with an empty column
    assert (table.header_row, table.headers) == (2, ["", "名称", "", "电话"])
    assert got == [
        (7, [None, "张三", None, "138"]),
        (9, ["1", "2", "3", None]),
        (1000, [None, None, None, "4"]),
    ]


def test_columns_start_at_the_first_column_holding_a_value(path: str) -> None:
    # valueless (styled) cells and formulas without a cached value do not count; an
    # error or an empty string does
    rows = (
        '<row r="1"><c r="A1" s="1"/><c r="B1"><f>X</f></c>' + inline("C1", "名称") + "</row>"
        '<row r="2"><c r="C2"><v>1</v></c></row>'
    )
    assert read(build_xlsx([("S", sheet_xml(rows))]))[0].headers == ["名称"]
    rows += '<row r="3"><c r="B3" t="e"><v>#N/A</v></c></row>'
    table, got = read(build_xlsx([("S", sheet_xml(rows))]))
    assert table.headers == ["", "名称"]
    assert got == [(2, [None, "1"])]


def test_cells_right_of_the_header_are_dropped_but_keep_their_row(path: str) -> None:
    rows = header_and('<c r="A2"><v>1</v></c><c r="F2"><v>far</v></c>') + (
        '<row r="3"><c r="E3" t="inlineStr"><is><t>only far</t></is></c></row>'
    )
    _, got = read(build_xlsx([("S", sheet_xml(rows))]))
    assert got == [(2, ["1"]), (3, [None])]


def test_too_wide_header_is_refused(path: str) -> None:
    cells = "".join(f'<c r="{c}1"><v>{i}</v></c>' for i, c in enumerate(["A", "B", "AA", "ZZ"]))
    data = build_xlsx([("S", sheet_xml(f'<row r="1">{cells}</row>'))])
    assert table_error(data, limits=Limits(max_columns=100)).code == "too_many_columns"
    assert read(data, limits=Limits(max_columns=702))[0].headers[-1] == "3"


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="3"><c r="A3"><v>3</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>',
        '<row r="2"><c r="A2"><v>2</v></c></row><row r="2"><c r="B2"><v>3</v></c></row>',
        '<row r="0"><c r="A1"><v>1</v></c></row>',
    ],
)
def test_rows_out_of_order_are_bad_xlsx(path: str, rows: str) -> None:
    # calamine sorted them in memory; a streaming reader cannot, and no writer does this
    assert table_error(build_xlsx([("S", sheet_xml(rows))])).code == "bad_xlsx"


# --------------------------------------------------------------------------------------
# Values


def test_numbers_booleans_errors_and_formulas(path: str) -> None:
    cells = [
        '<c r="A2"><v>13800138000</v></c>',
        '<c r="B2"><v>0.30000000000000004</v></c>',
        '<c r="C2"><v>1E+20</v></c>',
        '<c r="D2"><v>007</v></c>',
        '<c r="E2" t="b"><v>1</v></c>',
        '<c r="F2" t="b"><v>false</v></c>',
        '<c r="G2" t="e"><v>#DIV/0!</v></c>',
        '<c r="H2" t="e"><v>#SPILL!</v></c>',  # Excel 365 errors read as empty too
        '<c r="I2"><f>1+1</f><v>2</v></c>',
        '<c r="J2" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>',
        '<c r="K2" t="str"><f>IF(1,"","x")</f><v></v></c>',
        '<c r="L2"><f>SUM(A1:A2)</f></c>',  # no cached value: empty, never evaluated
        '<c r="M2"><f t="shared" ref="M2:M3" si="0">A2*2</f><v>4</v></c>',
        '<c r="N2"><f t="shared" si="0"/><v>6</v></c>',
        '<c r="O2"><v> 7 </v></c>',
        '<c r="P2"><v>-0</v></c>',
    ]
    header = "".join(inline(f"{chr(65 + i)}1", f"h{i}") for i in range(len(cells)))
    _, rows = read(build_xlsx([("S", sheet_xml(header_and("".join(cells), header)))]))
    assert rows == [
        (
            2,
            [
                "13800138000",
                "0.3",
                "100000000000000000000",
                "7",
                "TRUE",
                "FALSE",
                None,
                None,
                "2",
                "ab",
                None,
                None,
                "4",
                "6",
                "7",
                "0",
            ],
        )
    ]


@pytest.mark.parametrize(
    "cell",
    ['<c r="A2" t="b"><v>yes</v></c>', '<c r="A2" t="n"><v>abc</v></c>', '<c r="A2" t="x"/>'],
)
def test_malformed_typed_values_are_bad_xlsx(path: str, cell: str) -> None:
    cell = cell.replace("/>", "><v>1</v></c>") if cell.endswith("/>") else cell
    err = table_error(build_xlsx([("S", sheet_xml(header_and(cell)))]))
    assert (err.code, err.row) == ("bad_xlsx", 2)


DATE_CELLS = [
    # (style index, value, expected) with cellXfs numFmtIds [0, 14, 22, 20, 46, 164, 165, 166,
    # 31, 167]
    (1, "45356", "2024-03-05"),
    (1, "60", "1900-02-28"),  # Excel's 1900-02-29 does not exist
    (2, "45356.604166666664", "2024-03-05 14:30:00"),
    (3, "0.5", "12:00:00"),
    (4, "1.5", "1 day, 12:00:00"),  # [h]:mm:ss: elapsed time
    (5, "45356", "2024-03-05"),  # yyyy"年"m"月"d"日"
    (6, "45356.25", "45356.25"),  # 0.00"d": the d is quoted
    (7, "45356", "45356"),  # #,##0*y: the y is a fill character, not a token
    (8, "45356", "2024-03-05"),  # 31: a Chinese built-in date format
    (9, "45356", "2024-03-05"),  # [$-F800]dddd, mmmm dd, yyyy (also redefined in a dxf)
    (0, "45356", "45356"),
    (99, "45356", "45356"),  # style index out of range: a number
    # recently read dates are remembered by their text: per format kind
    (1, "-1", "00:00:00"),
    (4, "1", "1 day, 0:00:00"),
    (1, "45356", "2024-03-05"),
]


def date_workbook(date1904: bool = False) -> bytes:
    cells = "".join(
        f'<c r="{chr(65 + i)}2" s="{s}"><v>{v}</v></c>' for i, (s, v, _) in enumerate(DATE_CELLS)
    )
    header = "".join(inline(f"{chr(65 + i)}1", f"h{i}") for i in range(len(DATE_CELLS)))
    styles = styles_xml(
        {
            164: "[h]:mm:ss;@",
            165: 'yyyy"年"m"月"d"日"',
            166: '0.00"d"',
            167: "[$-F800]dddd, mmmm dd, yyyy",
            168: "#,##0*y",
        },
        [0, 14, 22, 20, 46, 165, 166, 168, 31, 167],
    )
    data = build_xlsx(
        [("S", sheet_xml(header_and(cells, header)))], extra=[("xl/styles.xml", styles)]
    )
    if date1904:
        pr = '<workbookPr date1904="1"/>'
        data = replace_entries(
            data, {"xl/workbook.xml": workbook_xml('<sheet name="S" sheetId="1" r:id="rId1"/>', pr)}
        )
    return data


def test_dates_builtin_and_custom_formats(path: str) -> None:
    _, rows = read(date_workbook())
    assert rows == [(2, [expected for _, _, expected in DATE_CELLS])]


def test_dates_in_the_1904_system(path: str) -> None:
    _, rows = read(date_workbook(date1904=True))
    values = rows[0][1]
    assert values[0] == "2028-03-06"  # 45356 + 1462 days
    assert values[2] == "2028-03-06 14:30:00"
    assert values[3] == "12:00:00"  # times and elapsed times do not move
    assert values[4] == "1 day, 12:00:00"


def test_iso_date_cells(path: str) -> None:
    cells = (
        '<c r="A2" t="d"><v>2024-03-05T14:30:00</v></c><c r="B2" t="d"><v>2024-03-05</v></c>'
        '<c r="C2" t="d"><v>14:30:05.5</v></c><c r="D2" t="d"><v>not a date</v></c>'
    )
    header = "".join(inline(f"{c}1", c) for c in "ABCD")
    _, rows = read(build_xlsx([("S", sheet_xml(header_and(cells, header)))]))
    assert rows == [(2, ["2024-03-05 14:30:00", "2024-03-05", "14:30:05.500000", "not a date"])]


# --------------------------------------------------------------------------------------
# Sheets


def three_sheet_workbook() -> bytes:
    data = build_xlsx(
        [
            ("hidden", sheet_xml(f'<row r="1">{inline("A1", "h")}</row>')),
            ("chart", b'<?xml version="1.0"?><chartsheet><drawing/></chartsheet>'),
            ("销售", sheet_xml(f'<row r="1">{inline("A1", "名称")}</row>')),
            ("客户", sheet_xml(f'<row r="1">{inline("A1", "客户")}</row>')),
        ]
    )
    sheets = (
        '<sheet name="hidden" sheetId="1" state="veryHidden" r:id="rId1"/>'
        '<sheet name="chart" sheetId="2" r:id="rId2"/>'
        '<sheet name="销售" sheetId="3" r:id="rId3"/>'
        '<sheet name="客户" sheetId="4" state="hidden" r:id="rId4"/>'
    )
    rel_t = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{rel_t}/{kind}" Target="/xl/worksheets/sheet{i}.xml"/>'
        for i, kind in enumerate(["worksheet", "chartsheet", "worksheet", "worksheet"], 1)
    )
    return replace_entries(
        data,
        {
            "xl/workbook.xml": workbook_xml(sheets),
            "xl/_rels/workbook.xml.rels": (
                '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                f'package/2006/relationships">{rels}</Relationships>'
            ).encode(),
        },
    )


def test_default_sheet_is_the_first_visible_worksheet() -> None:
    table = open_table(three_sheet_workbook())
    assert table.sheet_names == ["hidden", "chart", "销售", "客户"]
    assert (table.sheet_name, table.headers) == ("销售", ["名称"])


def test_sheet_by_name_and_index_including_hidden_ones() -> None:
    data = three_sheet_workbook()
    assert open_table(data, sheet="客户").headers == ["客户"]
    assert open_table(data, sheet=0).headers == ["h"]
    assert open_table(data, sheet=3).sheet_name == "客户"
    err = table_error(data, sheet="chart")
    assert err.code == "bad_xlsx"
    assert "not a worksheet" in err.message


def test_prefixed_namespace_sheet(path: str) -> None:
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1" '
        't="inlineStr"><x:is><x:t>名称</x:t></x:is></x:c></x:row><x:row r="2"><x:c r="A2">'
        "<x:v>12.50</x:v></x:c></x:row></x:sheetData></x:worksheet>"
    ).encode()
    table, rows = read(build_xlsx([("S", sheet)]))
    assert (table.headers, rows) == (["名称"], [(2, ["12.5"])])


def test_comments_cdata_and_processing_instructions(path: str) -> None:
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c><!-- </row> in a comment --><c r="B1"><v>2</v></c>'
        '</row><?pi </row>?><row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[</row> & <b>]]>'
        "</t></is></c></row>"
    )
    table, got = read(build_xlsx([("S", sheet_xml(rows))]))
    assert (table.headers, got) == (["1", "2"], [(2, ["</row> & <b>", None])])


def test_pretty_printed_and_utf16_sheets(path: str) -> None:
    pretty = sheet_xml(
        '\n  <row r="1">\n    <c r="A1" t="inlineStr">\n      <is>\n        <t>名称</t>\n'
        '      </is>\n    </c>\n  </row>\n  <row r="2">\n    <c r="A2">\n      <v>5</v>\n'
        "    </c>\n  </row>\n"
    )
    utf16 = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        f'<worksheet {_NS}><sheetData><row r="1">{inline("A1", "名称")}</row>'
        '<row r="2"><c r="A2"><v>5</v></c></row></sheetData></worksheet>'
    ).encode("utf-16")
    for sheet in (pretty, utf16):
        table, rows = read(build_xlsx([("S", sheet)]))
        assert (table.headers, rows) == (["名称"], [(2, ["5"])])


# --------------------------------------------------------------------------------------
# Damaged and hostile sheets


def usual_sheet(rows: int) -> bytes:
    body = "".join(
        f'<row r="{r}">{inline(f"A{r}", f"客户{r}")}<c r="B{r}"><v>{r}</v></c></row>'
        for r in range(2, rows + 2)
    )
    return sheet_xml(f'<row r="1">{inline("A1", "名称")}{inline("B1", "编号")}</row>{body}')


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.999])
def test_truncated_sheet_xml_is_bad_xlsx_with_a_row(path: str, cut: float) -> None:
    sheet = usual_sheet(3000)
    data = build_xlsx([("S", sheet[: int(len(sheet) * cut)])])  # a valid zip, cut XML
    table = open_table(data)
    with pytest.raises(TabularError) as info:
        read_all(table)
    assert info.value.code == "bad_xlsx"
    assert info.value.row is not None and 2 <= info.value.row <= 3002


@pytest.mark.parametrize(
    "damage",
    [
        ('<c r="B900"><v>900</v></c>', '<c r="B900"><v>900</c>'),  # mismatched tags
        ("客户900", "客户\udcff900"),  # invalid UTF-8 (a lone surrogate byte sequence)
        ('<c r="B900"><v>900</v></c>', '<c r="B900"><v>&bogus;</v></c>'),
        ('<c r="B900"><v>900</v></c>', '<c r="B900"><v>9\x01</v></c>'),
    ],
)
def test_corrupt_sheet_xml_is_bad_xlsx(path: str, damage: tuple[str, str]) -> None:
    # found while opening (rows of the first chunk are parsed with the header) or while
    # reading: either way a TabularError naming the row, never a crash or a hang
    sheet = usual_sheet(1000).decode("utf-8")
    old, new = damage
    assert old in sheet
    payload = sheet.replace(old, new).encode("utf-8", "surrogateescape")
    err = table_error(build_xlsx([("S", payload)]))
    assert (err.code, err.row) == ("bad_xlsx", 900)


def test_huge_numbers_in_attributes_are_read_safely(path: str) -> None:
    # Python refuses to convert more than 4,300 digits to int; calamine read such a shared
    # string index as 0
    digits = "9" * 5000
    sheet = sheet_xml(
        header_and(
            f'<c r="A2" s="{digits}"><v>45356</v></c><c r="B2" t="s"><v>{digits}</v></c>',
            inline("A1", "a") + inline("B1", "b"),
        )
    ).replace(b"<sheetData>", f'<dimension ref="A1:B{digits}"/><sheetData>'.encode())
    styles = styles_xml({}, [14]).replace(
        b'<xf numFmtId="14" fontId', f'<xf numFmtId="{digits}" fontId'.encode()
    )
    data = build_xlsx(
        [("S", sheet)],
        extra=[
            ("xl/styles.xml", styles),
            ("xl/sharedStrings.xml", shared_strings_xml(["<si><t>x</t></si>"])),
        ],
    )
    _, rows = read(data)
    assert rows == [(2, ["45356", "x"])]


def test_dtd_refused_by_the_parser_too() -> None:
    """The zip check refuses DTDs first; the XML parser refuses them on its own as well."""
    parts = {
        "xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e "x">]><workbook/>',
    }
    with pytest.raises(xlsx_stream.XlsxError) as info:
        xlsx_stream.Workbook(lambda name: iter([parts[name]]), {n: 1 for n in parts})
    assert info.value.code == "xml_entities"


def test_one_enormous_row_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_stream, "MAX_RECORD_BYTES", 512 * 1024)
    text = incompressible(3 * 1024 * 1024).decode()  # one 3 MB row: it spans several chunks
    cells = "".join(inline(f"{c}2", text[i::3]) for i, c in enumerate("ABC"))
    rows = f'<row r="1">{inline("A1", "h")}</row><row r="2">{cells}</row>'
    data = build_xlsx([("S", sheet_xml(rows))])
    table = open_table(data)
    with pytest.raises(TabularError) as info:
        read_all(table)
    assert info.value.code == "too_large"


# --------------------------------------------------------------------------------------
# Progress, storage, memory


def test_height_from_dimension_or_estimated_from_bytes_read() -> None:
    """``height`` drives import progress (pipeline._fraction: row number / height)."""
    sheet = usual_sheet(40_000)  # about 3 MB: several chunks
    with_dimension = sheet.replace(b"<sheetData>", b'<dimension ref="A1:B40001"/><sheetData>')
    table = open_table(build_xlsx([("S", with_dimension)]))
    assert table._sheet is not None
    assert table._sheet.height == 40_001
    table = open_table(build_xlsx([("S", sheet)]))
    reader = table._sheet
    assert reader is not None
    heights = [reader.height for number, _ in table.rows() if number % 5000 == 0]
    assert len(heights) == 8
    assert all(20_000 < h < 60_000 for h in heights), heights
    assert abs(heights[-1] - 40_001) < 2_000, heights


def test_shared_strings_pages_and_long_strings() -> None:
    table = xlsx_stream.SharedStrings()
    texts = [f"客户{i}" for i in range(40_000)] + ["长" * 1000, ""]
    for text in texts:
        table.add(text or None)
    table._flush()
    assert len(table) == len(texts)
    assert [table.get(i) for i in (0, 16_383, 16_384, 39_999)] == [
        "客户0",
        "客户16383",
        "客户16384",
        "客户39999",
    ]
    assert table.get(40_000) is table.get(40_000)  # long strings are shared, not copied
    assert table.get(40_001) is None
    with pytest.raises(IndexError):
        table.get(10**6)


def test_workbook_with_many_shared_strings(path: str) -> None:
    n = 20_000
    sst = shared_strings_xml([f"<si><t>客户{i}</t></si>" for i in range(n)])
    body = "".join(f'<row r="{i + 2}"><c r="A{i + 2}" t="s"><v>{i}</v></c></row>' for i in range(n))
    data = build_xlsx(
        [("S", sheet_xml(f'<row r="1">{inline("A1", "名称")}</row>{body}'))],
        extra=[("xl/sharedStrings.xml", sst)],
    )
    _, rows = read(data)
    assert len(rows) == n
    assert rows[-1] == (n + 1, [f"客户{n - 1}"])


# Peak memory of the child's own address space: ru_maxrss would include the parent's peak
# at fork time (Linux carries it across exec), and pytest's is large.
_MEASURE = textwrap.dedent(
    """
    import sys

    def peak_kib():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    before = peak_kib()
    from guanxi.core.io.tabular import open_table
    with open_table(sys.argv[1]) as table:
        if sys.argv[2] == "keep":  # the control: what holding the rows in memory costs
            count = len(list(table.rows()))
        else:
            count = sum(1 for _ in table.rows())
    print(count, peak_kib() - before)
    """
)


def _peak_growth_kib(path: Path, mode: str = "stream") -> tuple[int, int]:
    """(rows read, peak RSS growth in KiB) of reading ``path`` in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), mode],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


def _big_sheet(rows: int) -> Iterator[bytes]:
    yield (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData><row r="1">'
        + "".join(inline(f"{c}1", f"列{c}") for c in "ABCDEFGHI")
        + "</row>"
    ).encode()
    for r in range(2, rows + 2):
        yield (
            f'<row r="{r}">{inline(f"A{r}", f"北京华为技术有限公司{r}")}'
            f'<c r="B{r}" t="s"><v>{r % 3}</v></c><c r="C{r}"><v>{13800000000 + r}</v></c>'
            f'<c r="D{r}" s="1"><v>{45000 + r % 400}</v></c><c r="E{r}"><v>{r * 1.5}</v></c>'
            f'{inline(f"F{r}", f"c{r}@example.com")}<c r="G{r}" t="b"><v>1</v></c>'
            f"{inline(f'H{r}', '2024/3/5')}{inline(f'I{r}', '信息技术')}</row>"
        ).encode()
    yield b"</sheetData></worksheet>"


def _write_big_xlsx(path: Path, rows: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        base = build_xlsx(
            [("S", sheet_xml(""))],
            extra=[
                ("xl/sharedStrings.xml", shared_strings_xml(["<si><t>企业</t></si>"] * 3)),
                ("xl/styles.xml", styles_xml({}, [0, 14])),
            ],
        )
        with zipfile.ZipFile(io.BytesIO(base)) as src:
            for info in src.infolist():
                if info.filename != "xl/worksheets/sheet1.xml":
                    z.writestr(info, src.read(info))
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for block in _big_sheet(rows):
                sheet.write(block)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_memory_does_not_grow_with_the_rows(tmp_path: Path) -> None:
    """Reading 200,000 rows (about 90 MB of sheet XML) needs about as much memory as
    reading 20,000; holding the rows in memory (as calamine held the sheet) needs far more,
    which shows the measurement would catch it."""
    small, big = tmp_path / "small.xlsx", tmp_path / "big.xlsx"
    _write_big_xlsx(small, 20_000)
    _write_big_xlsx(big, 200_000)
    with zipfile.ZipFile(big) as z:
        sheet_bytes = z.getinfo("xl/worksheets/sheet1.xml").file_size
    assert sheet_bytes > 64 * 1024 * 1024
    small_rows, small_growth = _peak_growth_kib(small)
    big_rows, big_growth = _peak_growth_kib(big)
    kept_rows, kept_growth = _peak_growth_kib(big, "keep")
    assert (small_rows, big_rows, kept_rows) == (20_000, 200_000, 200_000)
    assert big_growth < small_growth + 8 * 1024, (small_growth, big_growth)
    assert kept_growth > big_growth + 64 * 1024, (big_growth, kept_growth)
