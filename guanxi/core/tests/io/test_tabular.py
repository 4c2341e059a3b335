"""Tests for guanxi.core.io.tabular (pure Python: no Django needed)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import random
import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pytest

from guanxi.core.io.tabular import (
    Limits,
    Table,
    TabularError,
    detect_encoding,
    open_table,
    sniff_delimiter,
    sniff_format,
)

MiB = 1024 * 1024

HEADERS = ["客户名称", "联系人", "电话", "备注"]
ROWS = [
    ["北京华为技术有限公司", "张三", "138 0013 8000", "重要客户，年度合同"],
    ["上海浦东发展银行股份有限公司", "李四", "(010) 6552-1234", "注释"],
    ["深圳腾讯", "王五", "+86-13900139000", ""],
]


def csv_text(delimiter: str = ",", rows: list[list[str]] | None = None) -> str:
    lines = [delimiter.join(HEADERS)]
    for row in rows if rows is not None else ROWS:
        lines.append(delimiter.join(row))
    return "\r\n".join(lines) + "\r\n"


def read_all(table: Table) -> list[tuple[int, list[str | None]]]:
    return list(table.rows())


def table_error(source: object, **kwargs: object) -> TabularError:
    with pytest.raises(TabularError) as info:
        table = open_table(source, **kwargs)  # type: ignore[arg-type]
        read_all(table)
    return info.value


# --------------------------------------------------------------------------------------
# XLSX crafting helpers: a minimal but valid SpreadsheetML package, written by hand so the
# sheet XML (formulas with cached values, hostile content) is exactly what we want.

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>'
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
_REL_T = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sheet_xml(rows: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData>{rows}'
        "</sheetData></worksheet>"
    ).encode()


def build_xlsx(
    sheets: list[tuple[str, bytes]],
    *,
    extra: Iterable[tuple[str, bytes]] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr("[Content_Types].xml", _CT.format(overrides=overrides))
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships {_REL_NS}>'
            f'<Relationship Id="rId1" Type="{_REL_T}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        entries = "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in enumerate(sheets, 1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} '
            f'xmlns:r="{_REL_T}"><sheets>{entries}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_T}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships {_REL_NS}>{rels}'
            "</Relationships>",
        )
        for i, (_, data) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", data)
        for name, data in extra:
            z.writestr(name, data)
    return buf.getvalue()


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def openpyxl_workbook(fill: dict[str, list[list[object]]], hidden: Iterable[str] = ()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in fill.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# Encodings


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("gb2312", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_encodings_with_chinese_headers(codec: str, expected: str) -> None:
    data = csv_text().encode(codec)
    table = open_table(data, filename="客户.csv")
    assert table.format == "csv"
    assert table.encoding == expected
    assert table.headers == HEADERS
    rows = read_all(table)
    assert rows[0] == (2, ROWS[0])
    assert rows[2] == (4, [*ROWS[2][:3], None])


def test_gb18030_only_characters() -> None:
    # 𠀀 (U+20000) and € exist in GB18030 but not in GBK.
    text = "名称,备注\n𠀀字号,€100\n张三有限公司,欧元\n"
    table = open_table(text.encode("gb18030"))
    assert table.encoding == "gb18030"
    assert read_all(table)[0][1] == ["𠀀字号", "€100"]


def test_detect_encoding_fast_paths() -> None:
    assert detect_encoding(b"name,phone\n") == "utf-8"
    assert detect_encoding("姓名".encode()) == "utf-8"
    # a multi-byte character cut at the end of the sample is still UTF-8
    assert detect_encoding("姓名".encode()[:-1]) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfa,b") == "utf-8-sig"
    assert detect_encoding("a,b".encode("utf-16")) == "utf-16"
    # short GBK samples fool statistical detectors into Big5; we prefer GB18030
    assert detect_encoding("姓名,电话\n张三,1\n".encode("gbk")) == "gb18030"


def test_detect_encoding_big5_is_not_forced_to_gb() -> None:
    text = "客戶名稱,聯絡人,電話\n台灣積體電路製造股份有限公司,張先生,02-12345678\n" * 20
    assert detect_encoding(text.encode("big5")) in {"big5", "cp950", "big5hkscs"}


def test_ascii_start_does_not_hide_gbk() -> None:
    ascii_rows = "".join(f"{i},x,13800138000,note\n" for i in range(6000))  # > 64 KB
    data = ("id,name,phone,note\n" + ascii_rows + "7000,张三,13800138000,备注\n").encode("gbk")
    table = open_table(data)
    assert table.encoding == "gb18030"
    assert read_all(table)[-1][1] == ["7000", "张三", "13800138000", "备注"]


def test_encoding_override() -> None:
    data = csv_text().encode("gbk")
    assert open_table(data, encoding="gbk").encoding == "gb18030"
    table = open_table(csv_text().encode("utf-8-sig"), encoding="utf-8")
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "客户名称"
    err = table_error(data, encoding="utf-8")
    assert err.code == "bad_encoding"
    assert table_error(data, encoding="no-such-codec").code == "bad_encoding"


def test_bad_bytes_after_the_sample() -> None:
    good = "".join(f"张三{i},李四,1,2\n" for i in range(5000)).encode()
    data = "名称,联系人,电话,备注\n".encode() + good + b"\xff\xfe\xfa,x,y,z\n"
    table = open_table(data)
    assert table.encoding == "utf-8"
    with pytest.raises(TabularError) as info:
        read_all(table)
    assert info.value.code == "bad_encoding"
    assert info.value.row is not None
    assert 4000 < info.value.row <= 5002  # "near": text is decoded in 8 KB chunks


# --------------------------------------------------------------------------------------
# Delimiters and CSV shape


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter(delimiter: str) -> None:
    table = open_table(csv_text(delimiter).encode())
    assert table.delimiter == delimiter
    assert table.headers == HEADERS
    assert read_all(table)[1][1] == ROWS[1]


def test_quoted_fields_with_other_delimiters() -> None:
    text = 'name;note;amount\n"A, Inc.";"x, y, z";"1,200.50"\n"B; Ltd";"p,q";3\n'
    table = open_table(text.encode())
    assert table.delimiter == ";"
    assert read_all(table) == [
        (2, ["A, Inc.", "x, y, z", "1,200.50"]),
        (3, ["B; Ltd", "p,q", "3"]),
    ]


def test_sniff_delimiter_fallbacks() -> None:
    assert sniff_delimiter("phone\n13800138000\n13900139000\n") == ","
    assert sniff_delimiter("a|b|c\n1|2|3\n") == "|"
    # full-width comma only when no ASCII delimiter is in the header
    assert sniff_delimiter("名称，电话\n张三，138\n李四，139\n") == "，"
    assert sniff_delimiter("名称,备注\n张三,你好，世界\n") == ","
    # inconsistent rows: falls back to Sniffer / header counts, never crashes
    assert sniff_delimiter("a;b;c\n1;2\n1;2;3;4\n") == ";"


def test_fullwidth_comma_table() -> None:
    table = open_table("名称，电话\n张三，138\n".encode())
    assert table.delimiter == "，"
    assert read_all(table) == [(2, ["张三", "138"])]


def test_delimiter_override() -> None:
    table = open_table(b"a;b\n1;2\n", delimiter=",")
    assert table.headers == ["a;b"]
    with pytest.raises(ValueError):
        open_table(b"a,b\n", delimiter="ab")


def test_row_numbers_blank_rows_padding_and_stripping() -> None:
    text = (
        '\n\n  名称 , 电话 ,备注,,\n张三, 138 \n\n , ,\n李四,139,x,extra,more,more\n"多\n行",1,2\n'
    )
    table = open_table(text.encode())
    assert table.header_row == 3
    assert table.headers == ["名称", "电话", "备注"]
    assert read_all(table) == [
        (4, ["张三", "138", None]),
        (7, ["李四", "139", "x"]),
        (8, ["多\n行", "1", "2"]),
    ]


def test_rows_is_reiterable_and_header_only_file() -> None:
    table = open_table(b"a,b\n1,2\n3,4\n")
    assert read_all(table) == read_all(table)
    assert read_all(open_table(b"a,b\n")) == []


def test_bom_and_zero_width_stripped_from_headers() -> None:
    table = open_table("\ufeff\u200b名称,电话\n张,1\n".encode())
    assert table.headers == ["名称", "电话"]


def test_sources_path_fileobj_and_nonseekable(tmp_path: Path) -> None:
    data = csv_text().encode("gbk")
    path = tmp_path / "wrong-extension.xlsx"  # extension must not matter
    path.write_bytes(data)
    with open_table(path) as table:
        assert table.format == "csv"
        assert len(read_all(table)) == 3
    with open_table(str(path)) as table:
        assert table.headers == HEADERS

    fileobj = io.BytesIO(data)
    table = open_table(fileobj)
    assert len(read_all(table)) == 3
    table.close()
    assert not fileobj.closed  # the caller owns it

    class Stream(io.RawIOBase):
        def __init__(self, payload: bytes) -> None:
            self._inner = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            chunk = self._inner.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    table = open_table(Stream(data))
    assert len(read_all(table)) == 3


def test_fileobj_not_at_start_is_read_from_its_position() -> None:
    fileobj = io.BytesIO(b"JUNK" + b"a,b\n1,2\n")
    fileobj.seek(4)
    assert read_all(open_table(fileobj)) == [(2, ["1", "2"])]


# --------------------------------------------------------------------------------------
# XLSX


def test_xlsx_first_sheet_typed_values_and_row_numbers() -> None:
    data = openpyxl_workbook(
        {
            "客户": [
                [],
                [None, None],
                ["名称", "电话", "签约日期", "时间", "金额", "数量", "VIP", "比例"],
                [
                    "华为",
                    13800138000,
                    dt.date(2024, 3, 5),
                    dt.datetime(2024, 3, 5, 14, 30),
                    1200.5,
                    3,
                    True,
                    0.1 + 0.2,
                ],
                [],
                ["=1+1 is text?", None, None, None, 1e20, -0.0001, False, None],
            ],
            "Other": [["x"], ["y"]],
        }
    )
    table = open_table(data, filename="wrong.csv")
    assert table.format == "xlsx"
    assert table.encoding is None
    assert table.sheet_names == ["客户", "Other"]
    assert table.sheet_name == "客户"
    assert table.header_row == 3
    assert table.headers == ["名称", "电话", "签约日期", "时间", "金额", "数量", "VIP", "比例"]
    rows = read_all(table)
    assert rows[0] == (
        4,
        ["华为", "13800138000", "2024-03-05", "2024-03-05 14:30:00", "1200.5", "3", "TRUE", "0.3"],
    )
    # openpyxl writes "=1+1 is text?" as a formula without a cached value: empty cell
    assert rows[1][0] == 6
    assert rows[1][1][4:7] == ["100000000000000000000", "-0.0001", "FALSE"]


def test_xlsx_choose_sheet_by_name_and_index() -> None:
    data = openpyxl_workbook({"A": [["a"], ["1"]], "销售": [["名称"], ["张三"]]})
    table = open_table(data, sheet="销售")
    assert table.sheet_name == "销售"
    assert read_all(table) == [(2, ["张三"])]
    assert open_table(data, sheet=" 销售 ").sheet_name == "销售"
    assert open_table(data, sheet=1).headers == ["名称"]
    assert open_table(data, sheet=0).headers == ["a"]
    assert table_error(data, sheet="nope").code == "sheet_not_found"
    assert table_error(data, sheet=5).code == "sheet_not_found"


def test_xlsx_default_skips_hidden_first_sheet() -> None:
    data = openpyxl_workbook({"hidden": [["h"]], "visible": [["v"]]}, hidden=["hidden"])
    assert open_table(data).sheet_name == "visible"
    assert open_table(data, sheet=0).sheet_name == "hidden"


def test_xlsx_formula_cells_give_cached_values_and_equals_text_stays_text() -> None:
    rows = (
        '<row r="1">'
        + inline("A1", "数值")
        + inline("B1", "文本")
        + inline("C1", "无缓存")
        + "</row>"
        '<row r="2"><c r="A2"><f>1+1</f><v>2</v></c>'
        '<c r="B2" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="C2"><f>SUM(A1:A2)</f></c></row>'
        '<row r="3">'
        + inline("A3", '=HYPERLINK("http://evil","x")')
        + inline("B3", "+1")
        + "</row>"
    )
    table = open_table(build_xlsx([("S", sheet_xml(rows))]))
    assert table.headers == ["数值", "文本", "无缓存"]
    assert read_all(table) == [
        (2, ["2", "ab", None]),
        (3, ['=HYPERLINK("http://evil","x")', "+1", None]),
    ]


def test_xlsx_shared_strings_and_stored_zip() -> None:
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="2" uniqueCount="2">'
        "<si><t>名称</t></si><si><t>张三</t></si></sst>"
    ).encode()
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    )
    data = build_xlsx(
        [("S", sheet_xml(rows))],
        extra=[("xl/sharedStrings.xml", shared)],
        compression=zipfile.ZIP_STORED,
    )
    # calamine finds sharedStrings by rels or by the default path
    assert read_all(open_table(data)) == [(2, ["张三"])]


def test_xlsx_empty_sheet_is_empty() -> None:
    assert table_error(build_xlsx([("S", sheet_xml(""))])).code == "empty"


# --------------------------------------------------------------------------------------
# Hostile files


def test_oversize_refused_before_reading(tmp_path: Path) -> None:
    data = csv_text().encode() * 100
    assert table_error(data, max_bytes=1000).code == "too_large"
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    assert table_error(path, max_bytes=1000).code == "too_large"
    assert table_error(io.BytesIO(data), max_bytes=1000).code == "too_large"

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            self.sent += len(b)  # an endless stream: must stop at the limit
            b[:] = b"a" * len(b)
            return len(b)

    pipe = Pipe()
    assert table_error(pipe, max_bytes=3 * MiB).code == "too_large"
    assert pipe.sent < 6 * MiB


def test_empty_files() -> None:
    assert table_error(b"").code == "empty"
    assert table_error(b"\n\n  \n, ,\n").code == "empty"
    assert table_error(b"\xef\xbb\xbf").code == "empty"


def incompressible(size: int) -> bytes:
    """Letters and digits that deflate poorly (so they are no zip bomb themselves)."""
    return base64.b64encode(random.Random(size).randbytes(size))[:size]


def _bomb_member(size: int) -> bytes:
    return b"\x00" * size


def test_zip_bomb_by_ratio() -> None:
    data = build_xlsx(
        [("S", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))],
        extra=[("xl/media/image1.png", _bomb_member(40 * MiB))],
    )
    assert len(data) < 200_000
    err = table_error(data, filename="bomb.xlsx")
    assert err.code == "zip_bomb"
    assert "ratio" in err.message


def test_zip_bomb_by_total_size() -> None:
    member = bytes(range(256)) * 8192  # 2 MiB, barely compressible
    data = build_xlsx(
        [("S", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))],
        extra=[(f"xl/media/m{i}.bin", member) for i in range(3)],
    )
    err = table_error(data, limits=Limits(max_uncompressed_bytes=4 * MiB))
    assert err.code == "zip_bomb"


def test_zip_bomb_with_lying_sizes() -> None:
    """Central directory and local header claim 100 bytes; the stream inflates to 8 MiB."""
    payload = b"<x/>" + b" " * (8 * MiB)
    data = bytearray(
        build_xlsx(
            [("S", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))],
            extra=[("xl/pad.xml", payload)],
        )
    )
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/pad.xml")
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))
    while data[central + 46 : central + 46 + len(b"xl/pad.xml")] != b"xl/pad.xml":
        central = data.rfind(b"PK\x01\x02", 0, central)
    struct.pack_into("<I", data, central + 24, 100)
    struct.pack_into("<I", data, info.header_offset + 22, 100)
    err = table_error(bytes(data))
    assert err.code == "zip_bomb"
    assert "declared size" in err.message


def test_too_many_zip_entries() -> None:
    data = build_xlsx(
        [("S", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))],
        extra=[(f"xl/x{i}.xml", b"<x/>") for i in range(40)],
    )
    assert table_error(data, limits=Limits(max_zip_entries=20)).code == "zip_bomb"


_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def test_billion_laughs_in_sheet() -> None:
    sheet = (
        _LAUGHS + f"<worksheet {_NS}><sheetData>".encode() + b'<row r="1"><c r="A1" '
        b't="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    err = table_error(build_xlsx([("S", sheet)]))
    assert err.code == "xml_entities"


def test_entities_in_shared_strings_and_split_across_chunks() -> None:
    sheet = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')
    sst = b"<sst>" + incompressible(MiB - 7) + b'<!ENTITY x "y"></sst>'  # straddles 1 MiB chunks
    err = table_error(build_xlsx([("S", sheet)], extra=[("xl/sharedStrings.xml", sst)]))
    assert err.code == "xml_entities"


def test_entities_in_utf16_part() -> None:
    sheet = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')
    evil = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    err = table_error(build_xlsx([("S", sheet)], extra=[("xl/styles.xml", evil.encode("utf-16"))]))
    assert err.code == "xml_entities"


def test_unsupported_xml_encoding_refused() -> None:
    sheet = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')
    part = b'<?xml version="1.0" encoding="UTF-7"?><x/>'
    assert table_error(build_xlsx([("S", sheet)], extra=[("xl/a.xml", part)])).code == "bad_xlsx"


@pytest.mark.parametrize(
    "rows",
    [
        # two far-apart cells: calamine would allocate 16384 x 1048576 cells
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>',
        # valueless cells count too; single quotes and tabs must not hide a reference
        '<row r="1"><c r=\'A1\'/></row><row r="900000"><c\tr="ZZ900000"/></row>',
        # a cell reference outside the grid
        '<row r="1"><c r="XFE1"><v>1</v></c></row>',
    ],
)
def test_sparse_cells_that_would_exhaust_memory(rows: str) -> None:
    err = table_error(build_xlsx([("S", sheet_xml(rows))]))
    assert err.code == "too_large"


def test_far_cell_reference_straddling_a_chunk_boundary() -> None:
    head = b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
    start = MiB - 3  # ' r="XFD1048576"' starts 3 bytes before the first 1 MiB chunk ends
    filler = b"<x>" + incompressible(start - 2 - len(head) - 7) + b"</x>"
    sheet = head + filler + b'<c r="XFD1048576"><v>2</v></c></sheetData></worksheet>'
    assert sheet.index(b' r="XFD') == start
    err = table_error(build_xlsx([("S", sheet)]))
    assert err.code == "too_large"


def test_dense_area_limit_is_configurable() -> None:
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="500"><c r="J500"><v>2</v></c></row>'
    data = build_xlsx([("S", sheet_xml(rows))])
    assert len(read_all(open_table(data))) == 1
    assert table_error(data, limits=Limits(max_sheet_cells=4000)).code == "too_large"


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_a_table"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_a_table"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "not_a_table"),
        (b"\x7fELF\x02\x01\x01\x00", "not_a_table"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "binary"),
        (b"\x1f\x8b\x08\x00", "not_a_table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls_legacy"),
        (b"<html><body><table><tr><td>1</td></tr></table>", "not_a_table"),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "not_a_table",
        ),
        (b"name,phone\nabc,\x00\x00\x01\x02\n", "binary"),
    ],
)
def test_wrong_file_types_refused_by_content(head: bytes, code: str) -> None:
    err = table_error(head + b"\n" * 10, filename="customers.csv")
    assert err.code == code
    assert "customers.csv" in err.message


def test_xls_named_xlsx_and_message() -> None:
    err = table_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, filename="a.xlsx")
    assert err.code == "xls_legacy"
    assert ".xls" in err.message


def test_other_zips_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.csv", "a,b\n")
    assert table_error(buf.getvalue()).code == "not_a_table"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w/>")
    assert table_error(buf.getvalue()).code == "not_a_table"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert table_error(buf.getvalue()).code == "unsupported_format"


def test_truncated_xlsx_is_bad_xlsx() -> None:
    data = openpyxl_workbook({"S": [["a"], [1]]})
    assert table_error(data[: len(data) // 2]).code == "bad_xlsx"


def test_garbage_control_characters_refused() -> None:
    garbage = bytes(range(1, 32)) * 200
    assert table_error(b"a,b\n" + garbage).code == "binary"


def test_nul_bytes_after_the_sample() -> None:
    data = b"a,b\n" + b"x,y\n" * 20000 + b"p,\x00q\n"
    table = open_table(data)
    with pytest.raises(TabularError) as info:
        read_all(table)
    assert info.value.code == "binary"
    assert info.value.row == 20002


def test_extremely_long_line_and_field() -> None:
    long_line = b"a,b\n" + b"x" * 5000 + b",y\n"
    err = table_error(long_line, limits=Limits(max_line_chars=1000))
    assert err.code == "line_too_long"
    # an unclosed quote swallows the rest of the file into one field
    unclosed = b'a,b\n"' + b"x\n" * 100_000
    err = table_error(unclosed)
    assert err.code == "field_too_long"


def test_too_many_columns_and_rows() -> None:
    header = ",".join(f"c{i}" for i in range(50)).encode()
    assert table_error(header + b"\n", limits=Limits(max_columns=20)).code == "too_many_columns"
    data = b"a\n" + b"1\n" * 30
    err = table_error(data, limits=Limits(max_rows=10))
    assert err.code == "too_large"
    assert err.row == 12


# --------------------------------------------------------------------------------------
# sniff_format


def test_sniff_format_by_content_not_extension() -> None:
    xlsx = openpyxl_workbook({"S": [["a"]]})
    assert sniff_format(xlsx[:4096], "data.csv") == "xlsx"
    assert sniff_format(b"a,b\n1,2\n", "data.xlsx") == "csv"
    assert sniff_format("a,b".encode("utf-16"), "x.txt") == "csv"
    with pytest.raises(TabularError) as info:
        sniff_format(b"", "x.csv")
    assert info.value.code == "empty"


def test_entry_count_read_from_end_record_before_parsing() -> None:
    data = bytearray(build_xlsx([("S", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))]))
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 0xFFFF, 0xFFFF)  # claims zip64-many entries
    err = table_error(bytes(data))
    assert err.code == "zip_bomb"


def test_xlsx_row_numbers_without_dimension_and_offset_columns() -> None:
    rows = (
        '<row r="3">' + inline("C3", "名称") + inline("D3", "电话") + "</row>"
        '<row r="5">' + inline("C5", "张三") + '<c r="D5"><v>13800138000</v></c></row>'
        '<row r="9">' + inline("D9", "只有电话") + "</row>"
    )
    table = open_table(build_xlsx([("S", sheet_xml(rows))]))
    assert table.header_row == 3
    assert table.headers == ["名称", "电话"]
    assert read_all(table) == [(5, ["张三", "13800138000"]), (9, [None, "只有电话"])]


def test_xlsx_with_a_large_first_entry_is_still_recognised() -> None:
    original = build_xlsx([("S", sheet_xml('<row r="1">' + inline("A1", "名称") + "</row>"))])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(buf, "w") as dst:
        dst.writestr("docProps/thumbnail.jpeg", incompressible(100_000))
        for info in src.infolist():
            dst.writestr(info, src.read(info))
    data = buf.getvalue()
    assert b"xl/" not in data[:65536] and b"[Content_Types]" not in data[:65536]
    assert open_table(data).headers == ["名称"]
