"""Documents: the files staff shared with the company on its tickets, contracts and
projects — listed and downloaded in the portal, for that company only; a file not shared,
or another company's, never appears and answers 404."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.attachments import services as attachment_services
from guanxi.attachments.tests.conftest import PDF_BYTES
from guanxi.contracts.tests.contract_helpers import create as contract_create
from guanxi.core.models import SecurityEvent
from guanxi.portal import selectors
from guanxi.portal.tests.conftest import make_company

pytestmark = pytest.mark.django_db


def _file(company, kind, record, name, *, shared):
    owner = company.customer.owner
    attachment = attachment_services.attachment_add(
        actor=owner, kind=kind, record_id=record.pk, stream=io.BytesIO(PDF_BYTES), name=name
    )
    if shared:
        attachment_services.attachment_share(actor=owner, attachment_id=attachment.pk, shared=True)
    return attachment


@pytest.fixture
def files(company_a, company_b):
    contract_a = contract_create(company_a.customer.owner, company_a.customer)
    contract_b = contract_create(company_b.customer.owner, company_b.customer)
    return {
        "a_contract": _file(company_a, "contract", contract_a, "甲合同扫描件.pdf", shared=True),
        "a_ticket": _file(company_a, "ticket", company_a.ticket, "甲维修报告.pdf", shared=True),
        "a_internal": _file(company_a, "contract", contract_a, "甲内部审批.pdf", shared=False),
        "a_ticket_internal": _file(
            company_a, "ticket", company_a.ticket, "甲内部排查.pdf", shared=False
        ),
        "b_contract": _file(company_b, "contract", contract_b, "乙合同扫描件.pdf", shared=True),
    }


def test_the_documents_page_lists_the_companys_shared_files_only(client, company_a, files):
    client.force_login(company_a.user)

    html = client.get(reverse("portal:documents")).content.decode()

    assert "甲合同扫描件.pdf" in html
    assert "甲维修报告.pdf" in html
    assert "甲内部审批.pdf" not in html
    assert "甲内部排查.pdf" not in html
    assert "乙合同扫描件.pdf" not in html


def test_the_documents_page_says_what_each_file_is_on(client, company_a, files):
    client.force_login(company_a.user)

    html = client.get(reverse("portal:documents")).content.decode()

    assert f"#{company_a.ticket.pk}" in html


def test_the_documents_page_names_no_staff_uploader(client, company_a, files):
    owner = company_a.customer.owner
    client.force_login(company_a.user)

    html = client.get(reverse("portal:documents")).content.decode()

    assert owner.username not in html


def test_a_shared_file_downloads_and_is_logged(client, company_a, files):
    client.force_login(company_a.user)

    response = client.get(reverse("portal:attachment", args=[files["a_contract"].pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert SecurityEvent.objects.filter(event="attachment_download", actor=company_a.user).exists()


@pytest.mark.parametrize("key", ["a_internal", "a_ticket_internal", "b_contract"])
def test_a_file_not_shared_with_the_company_is_404(client, company_a, files, key):
    client.force_login(company_a.user)

    response = client.get(reverse("portal:attachment", args=[files[key].pk]))

    assert response.status_code == 404


def test_unsharing_takes_the_file_off_the_portal(client, company_a, files):
    owner = company_a.customer.owner
    attachment_services.attachment_share(
        actor=owner, attachment_id=files["a_contract"].pk, shared=False
    )
    client.force_login(company_a.user)

    assert "甲合同扫描件.pdf" not in client.get(reverse("portal:documents")).content.decode()
    response = client.get(reverse("portal:attachment", args=[files["a_contract"].pk]))
    assert response.status_code == 404


def test_the_ticket_page_shows_shared_and_customer_files_not_internal_ones(
    client, company_a, files
):
    client.force_login(company_a.user)

    html = client.get(reverse("portal:ticket", args=[company_a.ticket.pk])).content.decode()

    assert "甲维修报告.pdf" in html  # shared by staff
    assert "screen.png" in html  # came with the customer's message
    assert "甲内部排查.pdf" not in html


def test_a_file_the_portal_user_uploaded_stays_on_the_ticket_page(client, company_a):
    from guanxi.portal import services

    services.ticket_attach(
        user=company_a.user, ticket_id=company_a.ticket.pk, stream=io.BytesIO(PDF_BYTES),
        name="我的截图.pdf",
    )  # fmt: skip
    client.force_login(company_a.user)

    html = client.get(reverse("portal:ticket", args=[company_a.ticket.pk])).content.decode()

    assert "我的截图.pdf" in html


def test_the_documents_selector_is_scoped_to_the_account(company_a, company_b, files):
    names_a = {d.name for d in selectors.documents(account=company_a.account)}
    names_b = {d.name for d in selectors.documents(account=company_b.account)}

    assert names_a == {"甲合同扫描件.pdf", "甲维修报告.pdf"}
    assert names_b == {"乙合同扫描件.pdf"}


def test_the_documents_page_pins_its_queries(client, company_a, files, django_assert_num_queries):
    make_company("丙")
    client.force_login(company_a.user)
    # session, user, portal account; the count and the page of files
    with django_assert_num_queries(5):
        page = client.get(reverse("portal:documents"))
    assert page.status_code == 200


def test_staff_do_not_open_the_portal_documents(client, files):
    staff = UserFactory(role=Role.ACCOUNT_MANAGER)
    client.force_login(staff)

    assert client.get(reverse("portal:documents")).status_code == 403


def test_the_api_lists_the_companys_shared_documents(client, company_a, files):
    response = client.get(
        "/api/v1/portal/documents", HTTP_AUTHORIZATION=f"Bearer {company_a.token}"
    )

    assert response.status_code == 200
    names = {item["name"] for item in response.json()["items"]}
    assert names == {"甲合同扫描件.pdf", "甲维修报告.pdf"}


def test_the_api_downloads_a_shared_document_and_404s_another_companys(client, company_a, files):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {company_a.token}"}

    ok = client.get(f"/api/v1/portal/documents/{files['a_contract'].pk}/download", **auth)
    other = client.get(f"/api/v1/portal/documents/{files['b_contract'].pk}/download", **auth)
    internal = client.get(f"/api/v1/portal/documents/{files['a_internal'].pk}/download", **auth)

    assert ok.status_code == 200
    assert other.status_code == 404
    assert internal.status_code == 404
