"""The attachments panel on the customer 360 page and its actions."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.attachments import services
from guanxi.attachments.models import Attachment
from guanxi.attachments.tests.conftest import EXE_BYTES, PDF_BYTES
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _attach(actor, customer, name="合同.pdf"):
    return services.attachment_add(
        actor=actor, kind="customer", record_id=customer.pk, stream=io.BytesIO(PDF_BYTES), name=name
    )


def test_the_360_page_shows_the_attachments_panel_with_the_files(client, am_a):
    customer = CustomerFactory(owner=am_a)
    _attach(am_a, customer)
    client.force_login(am_a)

    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert 'id="panel-attachments"' in page
    assert "合同.pdf" in page
    assert 'id="attachment-form"' in page


def test_upload_through_the_panel_rerenders_the_list_and_reloads_the_timeline(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)

    response = client.post(
        reverse("attachments:upload", args=["customer", customer.pk]),
        {"file": SimpleUploadedFile("报价.pdf", PDF_BYTES)},
        **HTMX,
    )

    assert response.status_code == 200
    assert "报价.pdf" in response.content.decode()
    assert "gx:timeline" in response["HX-Trigger"]
    assert Attachment.objects.count() == 1


def test_a_refused_file_shows_the_error_on_the_field(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)

    response = client.post(
        reverse("attachments:upload", args=["customer", customer.pk]),
        {"file": SimpleUploadedFile("报价.pdf", EXE_BYTES)},
        **HTMX,
    )

    assert response.status_code == 422
    assert "不支持该文件类型" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_delete_through_the_panel(client, am_a):
    customer = CustomerFactory(owner=am_a)
    attachment = _attach(am_a, customer)
    client.force_login(am_a)

    response = client.post(reverse("attachments:delete", args=[attachment.pk]), **HTMX)

    assert response.status_code == 200
    assert "合同.pdf" not in response.content.decode()
    assert not Attachment.objects.exists()


def test_download_out_of_scope_is_404(client, am_a, am_b):
    attachment = _attach(am_a, CustomerFactory(owner=am_a))
    client.force_login(am_b)

    assert client.get(reverse("attachments:download", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("attachments:delete", args=[attachment.pk])).status_code == 404


def test_download_in_scope(client, am_a):
    attachment = _attach(am_a, CustomerFactory(owner=am_a))
    client.force_login(am_a)

    response = client.get(reverse("attachments:download", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_the_panel_reloads_through_the_customer_section(client, am_a):
    customer = CustomerFactory(owner=am_a)
    _attach(am_a, customer)
    client.force_login(am_a)

    response = client.get(reverse("customers:section", args=[customer.pk, "attachments"]))

    assert response.status_code == 200
    assert 'id="attachment-list"' in response.content.decode()


@pytest.mark.parametrize("n", [1, 20])
def test_the_panel_costs_one_query_whatever_the_number_of_files(
    client, am_a, django_assert_num_queries, n
):
    customer = CustomerFactory(owner=am_a)
    for i in range(n):
        _attach(am_a, customer, f"{i}.pdf")
    client.force_login(am_a)

    # session, user, customer in scope, its tags (the section view's), the attachments with
    # their uploaders
    with django_assert_num_queries(5):
        response = client.get(reverse("customers:section", args=[customer.pk, "attachments"]))
    assert response.content.decode().count("gx-attachment-link") == n
