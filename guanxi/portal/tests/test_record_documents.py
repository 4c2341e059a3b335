"""Files on deliverables and change requests shared with the customer (issue 9 §4): the
company's portal user sees a shared file on the change request's approval screen and the
deliverable's acceptance screen and downloads it; a file kept internal never shows, and
another company's user gets 404 for the page and the file."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from guanxi.attachments import registry
from guanxi.attachments import services as attachment_services
from guanxi.attachments.tests.conftest import PDF_BYTES
from guanxi.projects.models import ChangeRequest

pytestmark = pytest.mark.django_db

PAGES = {"change_request": "portal:change", "deliverable": "portal:deliverable"}
DOCUMENTS_ID = {"change_request": "change-documents", "deliverable": "deliverable-documents"}


def _record(company, kind: str):
    return company.change if kind == "change_request" else company.deliverable


def _attach(company, kind: str, name: str, *, shared: bool):
    manager = company.project.manager
    attachment = attachment_services.attachment_add(
        actor=manager, kind=kind, record_id=_record(company, kind).pk,
        stream=io.BytesIO(PDF_BYTES), name=name,
    )  # fmt: skip
    if shared:
        attachment_services.attachment_share(
            actor=manager, attachment_id=attachment.pk, shared=True
        )
    return attachment


def test_deliverables_and_change_requests_are_shareable_kinds():
    assert registry.is_shareable("deliverable")
    assert registry.is_shareable("change_request")


@pytest.mark.parametrize("kind", ["change_request", "deliverable"])
def test_a_shared_file_is_seen_and_downloaded_by_the_company_only(
    client, company_a, company_b, kind
):
    shared = _attach(company_a, kind, "签字版.pdf", shared=True)
    internal = _attach(company_a, kind, "内部评估.pdf", shared=False)
    other = _attach(company_b, kind, "乙方文件.pdf", shared=True)
    page = reverse(PAGES[kind], args=[_record(company_a, kind).pk])
    download = reverse("portal:attachment", args=[shared.pk])

    client.force_login(company_a.user)
    html = client.get(page).content.decode()
    assert f'id="{DOCUMENTS_ID[kind]}"' in html
    assert "签字版.pdf" in html and download in html
    assert "内部评估.pdf" not in html and "乙方文件.pdf" not in html
    got = client.get(download)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF_BYTES
    assert client.get(reverse("portal:attachment", args=[internal.pk])).status_code == 404
    assert client.get(reverse("portal:attachment", args=[other.pk])).status_code == 404
    # The company's documents page lists the shared file, not the internal one.
    documents = client.get(reverse("portal:documents")).content.decode()
    assert "签字版.pdf" in documents and "内部评估.pdf" not in documents

    client.force_login(company_b.user)
    assert client.get(page).status_code == 404
    assert client.get(download).status_code == 404
    html_b = client.get(reverse(PAGES[kind], args=[_record(company_b, kind).pk])).content.decode()
    assert "乙方文件.pdf" in html_b and "签字版.pdf" not in html_b


def test_a_draft_change_requests_shared_file_stays_hidden(client, company_a):
    shared = _attach(company_a, "change_request", "草稿附件.pdf", shared=True)
    ChangeRequest.objects.filter(pk=company_a.change.pk).update(status="draft")
    client.force_login(company_a.user)

    assert client.get(reverse("portal:attachment", args=[shared.pk])).status_code == 404
    assert "草稿附件.pdf" not in client.get(reverse("portal:documents")).content.decode()


def test_unsharing_hides_the_file_again(client, company_a):
    shared = _attach(company_a, "deliverable", "验收报告.pdf", shared=True)
    attachment_services.attachment_share(
        actor=company_a.project.manager, attachment_id=shared.pk, shared=False
    )
    client.force_login(company_a.user)

    page = reverse("portal:deliverable", args=[company_a.deliverable.pk])
    assert "验收报告.pdf" not in client.get(page).content.decode()
    assert client.get(reverse("portal:attachment", args=[shared.pk])).status_code == 404
