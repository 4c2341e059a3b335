"""The 团队成员 panel of the customer 360 page: list, add by user, remove."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers.models import CustomerCollaborator
from guanxi.customers.tests.factories import CustomerCollaboratorFactory, CustomerFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer(am_a):
    return CustomerFactory(owner=am_a, name="华为技术有限公司")


def test_the_panel_lists_collaborators_with_their_access(client, am_a, am_b, customer):
    CustomerCollaboratorFactory(customer=customer, user=am_b, access="write")
    client.force_login(am_a)

    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "团队成员" in html
    assert f'id="collaborator-{am_b.pk}" data-access="write"' in html
    assert reverse("customers:collaborator_remove", args=[customer.pk, am_b.pk]) in html
    assert reverse("customers:collaborator_add", args=[customer.pk]) in html


def test_the_form_offers_staff_users_but_not_the_owner_or_collaborators(
    client, am_a, am_b, am_a2, portal_user, customer
):
    CustomerCollaboratorFactory(customer=customer, user=am_a2)
    client.force_login(am_a)

    form = client.get(reverse("customers:collaborator_add", args=[customer.pk]), **HX)

    options = {v for v, _label in form.context["collaborator_form"].fields["user"].choices}
    assert am_b.pk in options
    assert {am_a.pk, am_a2.pk, portal_user.pk} & options == set()


def test_add_shares_and_names_the_parts_to_reload(client, am_a, am_b, customer):
    client.force_login(am_a)

    response = client.post(
        reverse("customers:collaborator_add", args=[customer.pk]),
        {"collab-user": am_b.pk, "collab-access": "write"},
        **HX,
    )

    assert response.status_code == 200
    assert "团队成员已添加。" in response.content.decode()
    assert "gx:collaborators" in response["HX-Trigger"]
    assert CustomerCollaborator.objects.get().access == "write"


def test_add_twice_shows_the_error_on_the_user_field(client, am_a, am_b, customer):
    CustomerCollaboratorFactory(customer=customer, user=am_b)
    client.force_login(am_a)

    response = client.post(
        reverse("customers:collaborator_add", args=[customer.pk]),
        {"collab-user": am_b.pk, "collab-access": "read"},
        **HX,
    )

    assert response.status_code == 422
    form = response.context["collaborator_form"]
    assert "user" in form.errors or "该用户已是这位客户的团队成员。" in response.content.decode()
    assert CustomerCollaborator.objects.count() == 1


def test_remove(client, am_a, am_b, customer):
    CustomerCollaboratorFactory(customer=customer, user=am_b)
    client.force_login(am_a)

    response = client.post(
        reverse("customers:collaborator_remove", args=[customer.pk, am_b.pk]), **HX
    )

    assert response.status_code == 200
    assert "gx:collaborators" in response["HX-Trigger"]
    assert not CustomerCollaborator.objects.exists()


def test_the_collaborators_section_reloads(client, am_a, am_b, customer):
    CustomerCollaboratorFactory(customer=customer, user=am_b)
    client.force_login(am_a)

    html = client.get(
        reverse("customers:section", args=[customer.pk, "collaborators"]), **HX
    ).content.decode()

    assert f'id="collaborator-{am_b.pk}"' in html


def test_a_read_only_collaborator_sees_the_panel_without_controls(client, am_a, am_b, customer):
    CustomerCollaboratorFactory(customer=customer, user=am_b)
    client.force_login(am_b)

    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    form = client.get(reverse("customers:collaborator_add", args=[customer.pk]), **HX)
    remove = client.post(reverse("customers:collaborator_remove", args=[customer.pk, am_b.pk]))

    assert f'id="collaborator-{am_b.pk}"' in html
    assert reverse("customers:collaborator_add", args=[customer.pk]) not in html
    assert (form.status_code, remove.status_code) == (403, 403)
    assert CustomerCollaborator.objects.count() == 1


def test_out_of_scope_is_404(client, am_b, customer, am_a2):
    client.force_login(am_b)

    add = client.post(
        reverse("customers:collaborator_add", args=[customer.pk]),
        {"collab-user": am_a2.pk, "collab-access": "read"},
    )
    remove = client.post(reverse("customers:collaborator_remove", args=[customer.pk, am_a2.pk]))

    assert (add.status_code, remove.status_code) == (404, 404)
    assert not CustomerCollaborator.objects.exists()


def test_panel_in_english(client, am_a, am_b, customer):
    CustomerCollaboratorFactory(customer=customer, user=am_b, access="write")
    client.force_login(am_a)
    client.cookies["django_language"] = "en"

    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "Collaborators" in html
    assert "Read and write" in html
    assert "Department" in html or customer.team is None
