"""Sharing a file with the record's customer: by whoever may change the record, only on
record types registered as shareable, audited old → new; the toggle on the record pages'
attachments panel and in the API."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from guanxi.accounts import permissions
from guanxi.attachments import registry, services
from guanxi.attachments.models import Attachment
from guanxi.attachments.tests.conftest import PDF_BYTES
from guanxi.contracts.tests.contract_helpers import create as contract_create
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.service.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _add(actor, kind, record, name="说明.pdf"):
    return services.attachment_add(
        actor=actor, kind=kind, record_id=record.pk, stream=io.BytesIO(PDF_BYTES), name=name
    )


@pytest.fixture
def ticket_file(am_a):
    ticket = TicketFactory(customer=CustomerFactory(owner=am_a))
    return _add(am_a, "ticket", ticket)


def test_tickets_contracts_and_projects_are_shareable_cost_entries_are_not():
    assert registry.is_shareable("ticket")
    assert registry.is_shareable("contract")
    assert registry.is_shareable("project")
    assert not registry.is_shareable("cost_entry")
    assert not registry.is_shareable("customer")


def test_a_new_file_is_not_shared(ticket_file):
    assert ticket_file.shared_with_customer is False


def test_sharing_sets_the_flag_and_audits_old_and_new(am_a, ticket_file):
    services.attachment_share(actor=am_a, attachment_id=ticket_file.pk, shared=True)

    ticket_file.refresh_from_db()
    assert ticket_file.shared_with_customer is True
    entry = AuditEntry.objects.filter(object_id=str(ticket_file.pk), action="update").get()
    assert entry.changes == {"shared_with_customer": [False, True]}
    assert entry.actor_id == am_a.pk


def test_unsharing_clears_the_flag(am_a, ticket_file):
    services.attachment_share(actor=am_a, attachment_id=ticket_file.pk, shared=True)
    services.attachment_share(actor=am_a, attachment_id=ticket_file.pk, shared=False)

    ticket_file.refresh_from_db()
    assert ticket_file.shared_with_customer is False
    assert AuditEntry.objects.filter(object_id=str(ticket_file.pk), action="update").count() == 2


def test_sharing_what_is_already_shared_writes_no_audit_entry(am_a, ticket_file):
    services.attachment_share(actor=am_a, attachment_id=ticket_file.pk, shared=True)
    services.attachment_share(actor=am_a, attachment_id=ticket_file.pk, shared=True)

    assert AuditEntry.objects.filter(object_id=str(ticket_file.pk), action="update").count() == 1


def test_a_file_out_of_scope_is_not_found_and_unchanged(am_b, ticket_file):
    with pytest.raises(NotFound):
        services.attachment_share(actor=am_b, attachment_id=ticket_file.pk, shared=True)

    ticket_file.refresh_from_db()
    assert ticket_file.shared_with_customer is False


def test_a_reader_who_may_not_change_the_record_is_refused(am_a, agent):
    customer = CustomerFactory(owner=am_a)
    if not permissions.can_read_customer(agent, customer) or permissions.can_change_customer(
        agent, customer
    ):
        pytest.skip("the service agent role does not read-only customers in this setup")
    attachment = _add(am_a, "customer", customer)

    with pytest.raises(PermissionDenied):
        services.attachment_share(actor=agent, attachment_id=attachment.pk, shared=True)
    assert Attachment.objects.get(pk=attachment.pk).shared_with_customer is False


def test_a_type_that_is_not_shareable_is_refused_naming_the_field(am_a):
    customer = CustomerFactory(owner=am_a)
    attachment = _add(am_a, "customer", customer)

    with pytest.raises(ValidationFailed) as caught:
        services.attachment_share(actor=am_a, attachment_id=attachment.pk, shared=True)

    assert "shared_with_customer" in caught.value.errors
    assert Attachment.objects.get(pk=attachment.pk).shared_with_customer is False
    assert not AuditEntry.objects.filter(object_id=str(attachment.pk), action="update").exists()


# --- the panel on the record pages ----------------------------------------------------------


def test_the_ticket_page_offers_the_share_toggle(client, am_a, ticket_file):
    client.force_login(am_a)

    page = client.get(reverse("service:detail", args=[int(ticket_file.target_id)]))

    html = page.content.decode()
    assert reverse("attachments:share", args=[ticket_file.pk]) in html
    assert "与客户共享" in html


def test_the_contract_page_offers_the_share_toggle(client, am_a):
    customer = CustomerFactory(owner=am_a)
    contract = contract_create(am_a, customer)
    attachment = _add(am_a, "contract", contract)
    client.force_login(am_a)

    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()

    assert reverse("attachments:share", args=[attachment.pk]) in html


def test_the_customer_page_has_no_share_toggle(client, am_a):
    customer = CustomerFactory(owner=am_a)
    attachment = _add(am_a, "customer", customer)
    client.force_login(am_a)

    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert reverse("attachments:share", args=[attachment.pk]) not in html


def test_the_toggle_shares_and_rerenders_the_panel(client, am_a, ticket_file):
    client.force_login(am_a)

    response = client.post(
        reverse("attachments:share", args=[ticket_file.pk]), {"shared_with_customer": "1"}, **HTMX
    )

    assert response.status_code == 200
    assert "客户可见" in response.content.decode()
    assert Attachment.objects.get(pk=ticket_file.pk).shared_with_customer is True


def test_the_toggle_with_a_bad_value_answers_422_naming_the_field(client, am_a, ticket_file):
    client.force_login(am_a)

    response = client.post(
        reverse("attachments:share", args=[ticket_file.pk]), {"shared_with_customer": "yes"}, **HTMX
    )

    assert response.status_code == 422
    assert "shared_with_customer" in response.content.decode()
    assert Attachment.objects.get(pk=ticket_file.pk).shared_with_customer is False


def test_the_toggle_out_of_scope_is_404(client, am_b, ticket_file):
    client.force_login(am_b)

    response = client.post(
        reverse("attachments:share", args=[ticket_file.pk]), {"shared_with_customer": "1"}, **HTMX
    )

    assert response.status_code == 404
    assert Attachment.objects.get(pk=ticket_file.pk).shared_with_customer is False


# --- the API ----------------------------------------------------------------------------------


def _put(client, attachment_id, body):
    return client.put(
        f"/api/v1/attachments/{attachment_id}/sharing", body, content_type="application/json"
    )


def test_the_api_shares_a_file(client, am_a, ticket_file):
    client.force_login(am_a)

    response = _put(client, ticket_file.pk, {"shared_with_customer": True})

    assert response.status_code == 200
    assert response.json()["shared_with_customer"] is True
    assert Attachment.objects.get(pk=ticket_file.pk).shared_with_customer is True


def test_the_api_refuses_a_missing_flag_naming_it(client, am_a, ticket_file):
    client.force_login(am_a)

    response = _put(client, ticket_file.pk, {})

    assert response.status_code == 422
    assert "shared_with_customer" in response.content.decode()
    assert Attachment.objects.get(pk=ticket_file.pk).shared_with_customer is False


def test_the_api_refuses_a_type_that_is_not_shareable(client, am_a):
    customer = CustomerFactory(owner=am_a)
    attachment = _add(am_a, "customer", customer)
    client.force_login(am_a)

    response = _put(client, attachment.pk, {"shared_with_customer": True})

    assert response.status_code == 422
    assert "shared_with_customer" in response.content.decode()


def test_the_api_answers_404_out_of_scope(client, am_b, ticket_file):
    client.force_login(am_b)

    assert _put(client, ticket_file.pk, {"shared_with_customer": True}).status_code == 404


def test_the_sharing_operation_is_in_the_schema_with_its_answers(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/attachments/{attachment_id}/sharing"]["put"]
    assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
