"""Files on deliverables and change requests (issue 9 §4): attached by whoever may change
the project, read by whoever reads it, 404 outside it and 403 for a reader; each change is
audited on the project's customer; the staff pages carry the attachments panel."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.attachments import selectors as attachment_selectors
from guanxi.attachments import services as attachment_services
from guanxi.attachments.models import Attachment
from guanxi.attachments.tests.conftest import PDF_BYTES
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.core.models import AuditEntry
from guanxi.projects import selectors
from guanxi.projects.services import changes
from guanxi.projects.services import projects as project_services
from guanxi.projects.tests.change_helpers import plan_scene_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _records(scene: dict[str, Any]) -> dict[str, Any]:
    project = scene["project"]
    deliverable = project_services.deliverable_create(
        actor=scene["pm"], project_id=project.pk, name="数据导出模块"
    )
    cr = changes.change_request_create(
        actor=scene["pm"], project_id=project.pk, data={"title": "增加两张报表"}
    )
    return {"deliverable": deliverable, "change_request": cr}


def _add(actor: Any, kind: str, record_id: int, name: str = "说明书.pdf") -> Attachment:
    return attachment_services.attachment_add(
        actor=actor, kind=kind, record_id=record_id, stream=io.BytesIO(PDF_BYTES), name=name
    )


@pytest.mark.parametrize("kind", ["deliverable", "change_request"])
def test_the_project_manager_attaches_a_file_audited_on_the_customer(plan_scene, kind):
    record = _records(plan_scene)[kind]

    attachment = _add(plan_scene["pm"], kind, record.pk)

    assert attachment.target_model == record._meta.label_lower
    assert attachment.target_id == str(record.pk)
    entry = AuditEntry.objects.get(model="attachments.attachment", object_id=str(attachment.pk))
    assert entry.actor_id == plan_scene["pm"].pk
    assert entry.customer_id == plan_scene["customer"].pk
    # A team member (who works on the project) sees it beside the record.
    seen = attachment_selectors.attachments_on(record=record)
    assert [a.pk for a in seen] == [attachment.pk]


@pytest.mark.parametrize("kind", ["deliverable", "change_request"])
def test_outside_the_project_is_404_and_a_reader_who_may_not_change_it_is_403(
    plan_scene, am_b, kind
):
    s = plan_scene
    record = _records(s)[kind]
    existing = _add(s["pm"], kind, record.pk)
    # A project member of the department who is not on this project reads it only.
    reader = UserFactory(username="reader_a", role=Role.PROJECT_MEMBER, team=s["am"].team)
    # The reader reads the project (same department) but may not change it.
    project = selectors.project_get(actor=reader, project_id=s["project"].pk)
    assert selectors.can_change(reader, project) is False

    with pytest.raises(NotFound):
        _add(am_b, kind, record.pk)
    with pytest.raises(PermissionDenied):
        _add(reader, kind, record.pk)
    with pytest.raises(NotFound):  # a record id that does not exist
        _add(s["pm"], kind, record.pk + 1000)
    assert Attachment.objects.filter(target_id=str(record.pk)).count() == 1

    with pytest.raises(NotFound):
        attachment_services.attachment_delete(actor=am_b, attachment_id=existing.pk)
    with pytest.raises(PermissionDenied):
        attachment_services.attachment_delete(actor=reader, attachment_id=existing.pk)
    assert Attachment.objects.filter(pk=existing.pk).exists()


@pytest.mark.parametrize("kind", ["deliverable", "change_request"])
def test_download_is_scoped_like_the_project(client, plan_scene, am_b, kind):
    s = plan_scene
    record = _records(s)[kind]
    attachment = _add(s["pm"], kind, record.pk)
    url = reverse("attachments:download", args=[attachment.pk])

    client.force_login(s["member"])
    got = client.get(url)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF_BYTES

    client.force_login(am_b)
    assert client.get(url).status_code == 404


def test_the_change_request_page_carries_the_attachments_panel(client, plan_scene):
    s = plan_scene
    cr = _records(s)["change_request"]
    attachment = _add(s["pm"], "change_request", cr.pk, "需求说明.pdf")
    client.force_login(s["pm"])

    html = client.get(
        reverse("projects:change_detail", args=[s["project"].pk, cr.pk])
    ).content.decode()

    assert 'id="cr-attachments"' in html
    assert "需求说明.pdf" in html
    assert reverse("attachments:upload", args=["change_request", cr.pk]) in html
    assert reverse("attachments:share", args=[attachment.pk]) in html


def test_the_deliverable_page_is_linked_from_the_list_and_carries_the_panel(
    client, plan_scene, am_b
):
    s = plan_scene
    deliverable = _records(s)["deliverable"]
    _add(s["pm"], "deliverable", deliverable.pk, "交付清单.pdf")
    page = reverse("projects:deliverable_detail", args=[s["project"].pk, deliverable.pk])
    client.force_login(s["pm"])

    listing = client.get(reverse("projects:deliverables", args=[s["project"].pk]))
    assert page in listing.content.decode()
    html = client.get(page).content.decode()
    assert 'id="deliverable-attachments"' in html
    assert "交付清单.pdf" in html
    assert reverse("attachments:upload", args=["deliverable", deliverable.pk]) in html

    client.force_login(am_b)
    assert client.get(page).status_code == 404
    other = reverse("projects:deliverable_detail", args=[s["project"].pk, deliverable.pk + 1000])
    client.force_login(s["pm"])
    assert client.get(other).status_code == 404


def _upload() -> io.BytesIO:
    upload = io.BytesIO(PDF_BYTES)
    upload.name = "x.pdf"
    return upload


def test_the_upload_view_gives_404_outside_403_to_a_reader_and_writes_nothing(
    client, plan_scene, am_b
):
    s = plan_scene
    cr = _records(s)["change_request"]
    url = reverse("attachments:upload", args=["change_request", cr.pk])
    reader = UserFactory(username="reader_v", role=Role.PROJECT_MEMBER, team=s["am"].team)

    client.force_login(am_b)
    assert client.post(url, {"file": _upload()}).status_code == 404
    client.force_login(reader)
    assert client.post(url, {"file": _upload()}).status_code == 403
    assert not Attachment.objects.exists()
    client.force_login(s["pm"])
    assert client.post(url, {"file": _upload()}).status_code == 200
    assert Attachment.objects.filter(target_model="projects.changerequest").count() == 1
