"""The attachments REST API: upload, list, metadata, download, delete — scoped and
documented."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.attachments.models import Attachment
from guanxi.attachments.tests.conftest import EXE_BYTES, PDF_BYTES, PNG_BYTES
from guanxi.core.models import SecurityEvent
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _upload(client, customer, data=PDF_BYTES, name="合同.pdf", content_type="application/pdf"):
    return client.post(
        f"/api/v1/records/customer/{customer.pk}/attachments",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def test_upload_answers_201_with_the_detected_type(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)

    # The client claims text/plain: the content decides.
    response = _upload(client, customer, content_type="text/plain")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "合同.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["record_type"] == "customers.customer"
    assert body["record_id"] == str(customer.pk)
    assert body["uploaded_by"] == "am_a"


def test_an_executable_is_a_422_naming_the_file_field(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)

    response = _upload(client, customer, EXE_BYTES, "a.pdf")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert Attachment.objects.count() == 0


def test_the_error_is_in_the_readers_language(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)

    response = client.post(
        f"/api/v1/records/customer/{customer.pk}/attachments",
        {"file": SimpleUploadedFile("a.pdf", EXE_BYTES)},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 422
    assert "file type" in response.json()["errors"][0]["message"]


def test_upload_without_a_file_is_a_422(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)

    response = client.post(f"/api/v1/records/customer/{customer.pk}/attachments", {})

    assert response.status_code == 422


def test_a_hidden_customer_is_404_for_list_upload_detail_download_delete(client, am_a, am_b):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    attachment_id = _upload(client, customer).json()["id"]
    client.force_login(am_b)

    assert client.get(f"/api/v1/records/customer/{customer.pk}/attachments").status_code == 404
    assert _upload(client, customer).status_code == 404
    assert client.get(f"/api/v1/attachments/{attachment_id}").status_code == 404
    assert client.get(f"/api/v1/attachments/{attachment_id}/download").status_code == 404
    assert client.delete(f"/api/v1/attachments/{attachment_id}").status_code == 404
    assert Attachment.objects.count() == 1


def test_an_unknown_record_type_is_404(client, am_a):
    client.force_login(am_a)
    assert client.get("/api/v1/records/nothing/1/attachments").status_code == 404


def test_list_pages_newest_first(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    _upload(client, customer, PDF_BYTES, "一.pdf")
    _upload(client, customer, PNG_BYTES, "二.png")

    response = client.get(f"/api/v1/records/customer/{customer.pk}/attachments", {"limit": 1})

    body = response.json()
    assert body["count"] == 2
    assert [item["name"] for item in body["items"]] == ["二.png"]


def test_list_query_count_is_flat(client, am_a, django_assert_max_num_queries):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    for i in range(5):
        _upload(client, customer, PDF_BYTES, f"{i}.pdf")

    # session, user, customer in scope, count, page with the uploaders
    with django_assert_max_num_queries(7):
        response = client.get(f"/api/v1/records/customer/{customer.pk}/attachments")
    assert response.json()["count"] == 5


def test_download_serves_the_bytes_as_an_attachment_and_logs_it(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    attachment_id = _upload(client, customer).json()["id"]

    response = client.get(f"/api/v1/attachments/{attachment_id}/download")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert SecurityEvent.objects.filter(event="attachment_download").count() == 1


def test_delete_answers_204(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    attachment_id = _upload(client, customer).json()["id"]

    response = client.delete(f"/api/v1/attachments/{attachment_id}")

    assert response.status_code == 204
    assert not Attachment.objects.exists()


def test_portal_users_get_403(client, portal_user):
    client.force_login(portal_user)
    assert client.get("/api/v1/records/customer/1/attachments").status_code == 403


def test_openapi_documents_every_operation_and_its_errors(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]

    assert set(paths["/api/v1/records/{kind}/{record_id}/attachments"]) == {"get", "post"}
    assert set(paths["/api/v1/attachments/{attachment_id}"]) == {"get", "delete"}
    download = paths["/api/v1/attachments/{attachment_id}/download"]["get"]
    assert "application/octet-stream" in download["responses"]["200"]["content"]
    upload = paths["/api/v1/records/{kind}/{record_id}/attachments"]["post"]
    assert {"201", "401", "403", "404", "422"} <= set(upload["responses"])
    assert "multipart/form-data" in upload["requestBody"]["content"]
