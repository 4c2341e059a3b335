"""The import's fast paths give exactly what the general functions give."""

from __future__ import annotations

# --- the worker process that reads and cleans while the main process writes -------------
import pytest

from guanxi.core.models import AuditEntry, JobStatus
from guanxi.customers.importers.customers import CustomerWriter
from guanxi.customers.models import Customer, Tag, TimelineEntry
from guanxi.imports import pipeline
from guanxi.imports.models import ImportRowError, ImportRun, ImportStatus
from guanxi.imports.tests.support import counts, run_file, write_csv


def _pipeline_file(tmp_path):
    rows = [["客户名称", "手机", "邮箱", "城市", "标签"]]
    for i in range(700):
        rows.append(
            [
                f"重庆银行{i}有限公司",
                f"139{i:08d}",
                f"c{i}@example.com" if i % 13 else "x@@y",
                "",
                "",
            ]
        )
        if i % 20 == 19:  # repeats an earlier row of the file, under another spelling
            rows.append([f"重庆银行{i - 7}", "", "", "杭州", "复购"])
    return write_csv(tmp_path / "pipeline.csv", rows)


def _fingerprint():
    return (
        sorted(
            Customer.objects.values_list(
                "name",
                "city",
                "phone_key",
                "email",
                "name_pinyin",
                "name_key",
                "search_text",
                "version",
            )
        ),
        sorted(AuditEntry.objects.values_list("model", "action", "object_repr")),
        sorted(TimelineEntry.objects.values_list("kind", "title")),
        sorted(ImportRowError.objects.values_list("row", "code")),
    )


@pytest.mark.django_db(transaction=True)
def test_worker_process_gives_what_the_inline_run_gives(tmp_path, monkeypatch):
    path = _pipeline_file(tmp_path)
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", None)
    inline = run_file(path, chunk_rows=97)
    expected = counts(inline), _fingerprint()
    for model in (AuditEntry, TimelineEntry, ImportRowError, ImportRun, Customer, Tag):
        model.objects.all().delete()

    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 0)
    started = []
    real = pipeline._in_worker
    monkeypatch.setattr(pipeline, "_in_worker", lambda source: started.append(1) or real(source))
    piped = run_file(path, chunk_rows=97)

    assert started, "the worker was not used"
    assert piped.status == ImportStatus.FINISHED
    assert (counts(piped), _fingerprint()) == expected
    assert counts(piped)[1] > 0 and counts(piped)[3] > 0  # updates and rejects were seen


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_worker_fails_the_run(tmp_path, monkeypatch):
    path = _pipeline_file(tmp_path)
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 0)
    seen = []
    real = CustomerWriter.prepare

    def prepare(self, rows):
        seen.append(1)
        if len(seen) == 3:
            raise ValueError("boom in the worker")
        real(self, rows)

    monkeypatch.setattr(CustomerWriter, "prepare", prepare)
    with pytest.raises(ValueError, match="boom in the worker"):
        run_file(path, chunk_rows=100)
    run = ImportRun.objects.select_related("job").get()
    assert run.status == ImportStatus.STARTED  # resumable: its job says why it stopped
    assert (run.job.status, run.job.message) == (JobStatus.FAILED, "boom in the worker")
    assert run.checkpoint_row > 0  # the chunks cleaned before the error were written
    assert Customer.objects.count() > 0


# --- the database side: look-ups and inserts ------------------------------------------------

from guanxi.core.db.copy import fast_table  # noqa: E402
from guanxi.customers.importers.matching import _pairs  # noqa: E402
from guanxi.customers.tests.factories import CustomerFactory  # noqa: E402


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key_col", "nonempty"), [("phone_key", False), ("email", False), ("name_key", True)]
)
def test_key_lookup_returns_every_row_of_every_key(key_col, nonempty):
    """The per-key index probe (PostgreSQL) gives what a plain ``IN`` gives: each row once,
    keys held by several customers with all their ids, empty keys left out where asked."""
    made = [
        CustomerFactory(name="重庆银行", phone="13900000001", email="a@example.com"),
        CustomerFactory(name="重庆银行有限公司", phone="13900000001", email="a@example.com"),
        CustomerFactory(name="华为技术", phone="13900000002", email="b@example.com"),
        CustomerFactory(name="一", phone="", email=""),
    ]
    values = sorted({getattr(c, key_col) for c in made} | {"", "nobody"})
    expected = sorted(
        (getattr(c, key_col), c.pk)
        for c in made
        if getattr(c, key_col) in values and not (nonempty and getattr(c, key_col) == "")
    )

    got = sorted(_pairs(Customer, "id", key_col, values, nonempty=nonempty))

    assert got == expected
    assert len({pk for _key, pk in got}) >= 2  # several customers found, shared keys kept


@pytest.mark.django_db
def test_key_lookup_with_a_separator_in_a_value():
    """A value holding the unit separator goes as an array, not one joined string."""
    c = CustomerFactory(name="华为", email="x@example.com")

    assert _pairs(Customer, "id", "email", ["x@example.com", "a\x1fb"]) == [("x@example.com", c.pk)]


@pytest.mark.django_db
def test_insert_runs_the_callback_once_after_sending_every_row():
    """``while_writing`` runs once, after the last row has been taken from the rows
    (PostgreSQL is still indexing them then) and before ``insert`` returns."""
    table = fast_table(Tag)
    ids = table.allocate_ids(3)
    sent: list[int] = []
    calls: list[int] = []

    def rows():
        for i in range(3):
            sent.append(i)
            yield {"name": f"标签{i}"}

    got = table.insert(rows(), ids, while_writing=lambda: calls.append(len(sent)))

    assert got == ids
    assert calls == [3]
    assert sorted(Tag.objects.values_list("pk", flat=True)) == sorted(ids)
