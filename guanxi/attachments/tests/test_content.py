"""A file's type is read from its bytes, not its name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.attachments import content
from guanxi.attachments.tests.conftest import EXE_BYTES, PDF_BYTES, PNG_BYTES, xlsx_bytes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, "pdf"),
        (PNG_BYTES, "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (xlsx_bytes(), "xlsx"),
        ("客户名称,电话\n华为,0755\n".encode("gb18030"), "text"),
        ("客户名称,电话\n华为,0755\n".encode(), "text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "ole"),
    ],
)
def test_known_types_are_recognised_by_their_bytes(data, expected):
    found = content.detect_bytes(data)
    assert found is not None
    assert found.key == expected


def test_an_executable_is_none_of_the_known_types():
    assert content.detect_bytes(EXE_BYTES) is None


def test_a_zip_that_is_not_office_is_a_plain_zip():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hi")
    assert content.detect_bytes(buffer.getvalue()).key == "zip"


def test_a_broken_zip_is_not_recognised():
    assert content.detect_bytes(b"PK\x03\x04garbage") is None


@given(st.binary(min_size=1, max_size=200))
def test_random_bytes_with_a_nul_are_never_text(data):
    found = content.detect_bytes(b"\x00" + data)
    assert found is None or found.key != "text"


@given(st.binary(max_size=200))
def test_a_signature_decides_whatever_follows(tail):
    assert content.detect_bytes(b"%PDF-" + tail).key == "pdf"
    assert content.detect_bytes(b"\x89PNG\r\n\x1a\n" + tail).key == "png"


@pytest.mark.parametrize(
    ("name", "ext"),
    [("报价.PDF", "pdf"), ("a.tar.gz", "gz"), ("noext", ""), ("C:\\x\\y.png", "png")],
)
def test_extension(name, ext):
    assert content.extension(name) == ext
