"""Project documents: staff attach a file to a project and share it; the company's portal
user sees it on the project's page and downloads it, another company's user gets 404, and
a file kept internal never shows."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from guanxi.attachments import services as attachment_services
from guanxi.attachments.tests.conftest import PDF_BYTES
from guanxi.core.errors import NotFound
from guanxi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _attach(company, name: str, *, shared: bool):
    manager = company.project.manager
    attachment = attachment_services.attachment_add(
        actor=manager, kind="project", record_id=company.project.pk,
        stream=io.BytesIO(PDF_BYTES), name=name,
    )  # fmt: skip
    if shared:
        attachment_services.attachment_share(
            actor=manager, attachment_id=attachment.pk, shared=True
        )
    return attachment


def test_staff_attach_a_file_to_a_project_audited_on_the_customer(company_a):
    attachment = _attach(company_a, "项目计划.pdf", shared=False)

    assert attachment.target_model == "projects.project"
    assert attachment.target_id == str(company_a.project.pk)
    entry = AuditEntry.objects.get(model="attachments.attachment", object_id=str(attachment.pk))
    assert entry.actor_id == company_a.project.manager.pk
    assert entry.customer_id == company_a.customer.pk


def test_a_user_who_does_not_read_the_project_cannot_attach(company_a, company_b):
    stranger = company_b.project.manager  # manages another company's project only

    with pytest.raises(NotFound):
        attachment_services.attachment_add(
            actor=stranger, kind="project", record_id=company_a.project.pk,
            stream=io.BytesIO(PDF_BYTES), name="x.pdf",
        )  # fmt: skip


def test_the_staff_project_page_shows_the_attachments_panel(client, company_a):
    attachment = _attach(company_a, "会议纪要.pdf", shared=False)
    client.force_login(company_a.project.manager)

    html = client.get(reverse("projects:detail", args=[company_a.project.pk])).content.decode()

    assert 'id="project-attachments"' in html
    assert "会议纪要.pdf" in html
    assert reverse("attachments:upload", args=["project", company_a.project.pk]) in html
    assert reverse("attachments:share", args=[attachment.pk]) in html


def test_a_shared_project_file_is_seen_and_downloaded_by_the_company_only(
    client, company_a, company_b
):
    shared = _attach(company_a, "周报.pdf", shared=True)
    internal = _attach(company_a, "内部成本.pdf", shared=False)
    page = reverse("portal:project", args=[company_a.project.pk])
    download = reverse("portal:attachment", args=[shared.pk])

    client.force_login(company_a.user)
    html = client.get(page).content.decode()
    assert 'id="portal-project-documents"' in html
    assert "周报.pdf" in html and "内部成本.pdf" not in html
    got = client.get(download)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF_BYTES
    assert client.get(reverse("portal:attachment", args=[internal.pk])).status_code == 404

    client.force_login(company_b.user)
    assert client.get(page).status_code == 404
    assert client.get(download).status_code == 404
    html_b = client.get(reverse("portal:project", args=[company_b.project.pk])).content.decode()
    assert "周报.pdf" not in html_b
