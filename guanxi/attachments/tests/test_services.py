"""Adding and deleting files on a customer: checked by content, scoped like the customer,
audited, on the timeline; the bytes in storage follow the rows."""

from __future__ import annotations

import io

import pytest
from django.db import transaction

from guanxi.attachments import services
from guanxi.attachments.models import Attachment
from guanxi.attachments.storage import attachment_storage
from guanxi.attachments.tests.conftest import EXE_BYTES, PDF_BYTES, PNG_BYTES
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry, SecurityEvent
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _add(actor, customer, data=PDF_BYTES, name="合同.pdf"):
    return services.attachment_add(
        actor=actor, kind="customer", record_id=customer.pk, stream=io.BytesIO(data), name=name
    )


def _stored_files():
    storage = attachment_storage()
    found = []

    def walk(path):
        dirs, files = storage.listdir(path) if storage.exists(path) else ([], [])
        found.extend(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}")

    walk("attachments")
    return found


def test_a_pdf_is_stored_with_its_detected_type_and_hash(am_a):
    customer = CustomerFactory(owner=am_a)

    attachment = _add(am_a, customer)

    assert attachment.name == "合同.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF_BYTES)
    assert attachment.target_model == "customers.customer"
    assert attachment.target_id == str(customer.pk)
    assert attachment.uploaded_by == am_a
    with attachment_storage().open(attachment.stored_name) as stored:
        assert stored.read() == PDF_BYTES
    assert "合同" not in attachment.stored_name  # stored under a random name


def test_an_upload_is_audited_and_on_the_customers_timeline(am_a):
    customer = CustomerFactory(owner=am_a)

    attachment = _add(am_a, customer)

    entry = AuditEntry.objects.get(model="attachments.attachment", object_id=str(attachment.pk))
    assert entry.action == "create"
    assert entry.customer_id == customer.pk
    assert entry.actor == am_a
    assert entry.changes["name"] == [None, "合同.pdf"]
    timeline = TimelineEntry.objects.get(customer=customer, kind="attachment")
    assert "合同.pdf" in timeline.title


def test_an_executable_named_pdf_is_refused_and_nothing_is_kept(am_a):
    customer = CustomerFactory(owner=am_a)

    with pytest.raises(ValidationFailed) as caught:
        _add(am_a, customer, EXE_BYTES, "报价.pdf")

    assert list(caught.value.errors) == ["file"]
    assert Attachment.objects.count() == 0
    assert _stored_files() == []
    assert not TimelineEntry.objects.filter(kind="attachment").exists()


def test_a_png_named_pdf_is_refused_as_mismatched(am_a):
    customer = CustomerFactory(owner=am_a)

    with pytest.raises(ValidationFailed) as caught:
        _add(am_a, customer, PNG_BYTES, "报价.pdf")

    assert ".png" in caught.value.errors["file"][0]


def test_a_file_over_the_size_limit_is_refused(am_a, settings):
    settings.GUANXI_ATTACHMENT_MAX_BYTES = 100
    customer = CustomerFactory(owner=am_a)

    with pytest.raises(ValidationFailed) as caught:
        _add(am_a, customer, PDF_BYTES + b"x" * 100)

    assert "MB" in caught.value.errors["file"][0]
    assert Attachment.objects.count() == 0


def test_an_empty_file_is_refused(am_a):
    with pytest.raises(ValidationFailed):
        _add(am_a, CustomerFactory(owner=am_a), b"", "空.txt")


def test_a_type_left_out_of_the_allowed_types_is_refused(am_a, settings):
    settings.GUANXI_ATTACHMENT_TYPES = ("pdf",)
    with pytest.raises(ValidationFailed):
        _add(am_a, CustomerFactory(owner=am_a), PNG_BYTES, "a.png")


def test_a_path_in_the_file_name_is_dropped(am_a):
    attachment = _add(am_a, CustomerFactory(owner=am_a), name="../../etc/合同.pdf")
    assert attachment.name == "合同.pdf"


def test_a_customer_out_of_scope_is_not_found(am_a, am_b):
    customer = CustomerFactory(owner=am_a)

    with pytest.raises(NotFound):
        _add(am_b, customer)
    assert Attachment.objects.count() == 0


def test_a_bad_file_on_a_hidden_customer_says_not_found_not_what_is_wrong(am_a, am_b):
    with pytest.raises(NotFound):
        _add(am_b, CustomerFactory(owner=am_a), EXE_BYTES, "x.pdf")


def test_an_unknown_record_type_is_not_found(am_a):
    with pytest.raises(NotFound):
        services.attachment_add(
            actor=am_a, kind="nothing", record_id=1, stream=io.BytesIO(PDF_BYTES), name="a.pdf"
        )


def test_an_add_inside_a_callers_transaction_is_refused_before_storing(am_a):
    # A caller's later rollback could not remove the bytes: the add must be outermost.
    customer = CustomerFactory(owner=am_a)

    with pytest.raises(RuntimeError), transaction.atomic():
        _add(am_a, customer)

    assert Attachment.objects.count() == 0
    assert _stored_files() == []


def test_a_reaction_that_fails_removes_the_stored_bytes(am_a, monkeypatch):
    from guanxi.customers import attachments as customer_attachments

    def fail(*args, **kwargs):
        raise RuntimeError("timeline down")

    monkeypatch.setattr(customer_attachments, "timeline_add", fail)
    with pytest.raises(RuntimeError):
        _add(am_a, CustomerFactory(owner=am_a))

    assert Attachment.objects.count() == 0
    assert _stored_files() == []


def test_delete_removes_row_and_bytes_and_is_audited(am_a, django_capture_on_commit_callbacks):
    customer = CustomerFactory(owner=am_a)
    attachment = _add(am_a, customer)
    path = attachment.stored_name

    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(actor=am_a, attachment_id=attachment.pk)

    assert not Attachment.objects.exists()
    assert not attachment_storage().exists(path)
    entry = AuditEntry.objects.get(model="attachments.attachment", action="delete")
    assert entry.customer_id == customer.pk
    assert entry.changes["name"] == ["合同.pdf", None]
    assert TimelineEntry.objects.filter(customer=customer, kind="attachment").count() == 2


def test_delete_by_someone_out_of_scope_is_not_found_and_keeps_the_file(am_a, am_b):
    attachment = _add(am_a, CustomerFactory(owner=am_a))

    with pytest.raises(NotFound):
        services.attachment_delete(actor=am_b, attachment_id=attachment.pk)

    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert attachment_storage().exists(attachment.stored_name)


def test_a_reader_who_may_not_change_the_customer_gets_permission_denied(am_a, agent):
    customer = CustomerFactory(owner=am_a)
    from guanxi.accounts import permissions

    if not permissions.can_read_customer(agent, customer) or permissions.can_change_customer(
        agent, customer
    ):
        pytest.skip("the service agent role does not read-only customers in this setup")
    with pytest.raises(PermissionDenied):
        _add(agent, customer)


def test_the_download_log_names_who_and_what(am_a):
    attachment = _add(am_a, CustomerFactory(owner=am_a))

    services.attachment_download_log(actor=am_a, attachment=attachment, ip="127.0.0.1")

    event = SecurityEvent.objects.get(event="attachment_download")
    assert event.actor == am_a
    assert event.details["attachment_id"] == attachment.pk
    assert event.details["name"] == "合同.pdf"
