"""What a file *is*, from its bytes.

The client's file name and claimed content type are not trusted: an executable renamed
``report.pdf`` is refused, and a download is served with the type found here, never the
uploader's. Each allowed type is recognised by its signature (magic bytes); ZIP-based
Office files by the parts inside the archive; plain text by decoding as UTF-8 or GB18030
with no NUL bytes. The extension must be one of the detected type's extensions, so a PNG
named ``.pdf`` does not open in the wrong program either.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import IO

HEAD_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    key: str
    mime: str
    extensions: tuple[str, ...]


PDF = FileType("pdf", "application/pdf", ("pdf",))
PNG = FileType("png", "image/png", ("png",))
JPEG = FileType("jpeg", "image/jpeg", ("jpg", "jpeg"))
GIF = FileType("gif", "image/gif", ("gif",))
WEBP = FileType("webp", "image/webp", ("webp",))
DOCX = FileType(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
XLSX = FileType(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)
)
PPTX = FileType(
    "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ("pptx",),
)
ZIP = FileType("zip", "application/zip", ("zip",))
OLE = FileType("ole", "application/x-ole-storage", ("doc", "xls", "ppt", "msg"))
TEXT = FileType("text", "text/plain", ("txt", "csv", "log", "md"))

ALL_TYPES = {t.key: t for t in (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, ZIP, OLE, TEXT)}

_OFFICE_PARTS = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
    ("ppt/presentation.xml", PPTX),
)


def _zip_type(stream: IO[bytes]) -> FileType | None:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" in names:
        for part, kind in _OFFICE_PARTS:
            if part in names:
                return kind
    return ZIP


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    # A multi-byte character may be cut at the end of the sample: drop up to 3 bytes.
    for cut in range(4):
        sample = head[: len(head) - cut] if cut else head
        for encoding in ("utf-8", "gb18030"):
            try:
                text = sample.decode(encoding)
            except UnicodeDecodeError:
                continue
            controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
            return controls == 0
    return False


def detect(stream: IO[bytes]) -> FileType | None:
    """The type of the file in ``stream`` (read from its start), or ``None`` when it is none
    of the known types. The stream is left at position 0."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    found: FileType | None = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head.startswith((b"GIF87a", b"GIF89a")):
        found = GIF
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        found = WEBP
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        found = OLE
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_type(stream)
    elif head and _is_text(head):
        found = TEXT
    stream.seek(0)
    return found


def detect_bytes(data: bytes) -> FileType | None:
    return detect(io.BytesIO(data))


def extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""
