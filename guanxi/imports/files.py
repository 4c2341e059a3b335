"""Where uploaded import files live, and how a run's file is opened again.

Uploads are copied (streamed, hashed on the way) to the default storage under
``imports/<sha256>``: the name carries no user input, and the same file uploaded twice is
stored once. The command line reads the file where it is.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage

from guanxi.core.io.tabular import DEFAULT_MAX_BYTES, Table, TabularError, open_table
from guanxi.imports.models import ImportRun

BLOCK = 1024 * 1024
MAX_BYTES = DEFAULT_MAX_BYTES


def _too_large() -> TabularError:
    return TabularError("too_large", f"The file is larger than {MAX_BYTES // BLOCK} MB.")


def hash_file(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def store_upload(fileobj: IO[bytes] | Any, *, max_bytes: int = MAX_BYTES) -> tuple[str, str, int]:
    """Copy an upload to storage; returns (storage name, sha256, size). Refuses files over
    ``max_bytes`` while reading, before storing anything."""
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as spool:
        chunks = (
            fileobj.chunks(BLOCK)
            if hasattr(fileobj, "chunks")
            else iter(lambda: fileobj.read(BLOCK), b"")
        )
        for block in chunks:
            size += len(block)
            if size > max_bytes:
                raise _too_large()
            digest.update(block)
            spool.write(block)
        sha = digest.hexdigest()
        name = f"imports/{sha}"
        if not default_storage.exists(name):
            spool.seek(0)
            saved = default_storage.save(name, File(spool))
            if saved != name:  # a concurrent upload of the same file won the race
                default_storage.delete(saved)
    return name, sha, size


@contextmanager
def open_run_table(run: ImportRun) -> Iterator[Table]:
    """The run's file as a table, read exactly as when it was uploaded (same encoding,
    delimiter and sheet), so row numbers and values do not drift between preview, run and
    resume."""
    kwargs: dict[str, Any] = {
        "filename": run.file_name,
        "encoding": run.encoding or None,
        "delimiter": run.delimiter or None,
        "sheet": run.sheet or None,
    }
    with ExitStack() as stack:
        if run.local_path:
            if not os.path.exists(run.local_path):
                raise TabularError("empty", f"{run.local_path} no longer exists.")
            source: Any = run.local_path
        else:
            source = stack.enter_context(default_storage.open(run.storage_name, "rb"))
        table = stack.enter_context(open_table(source, **kwargs))
        yield table
