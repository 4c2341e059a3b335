"""Invitations: staff invite a customer's person by e-mail; the link opens once, before it
expires, and only its SHA-256 is stored; accepting sets a password under Django's password
rules and opens the portal signed in. Accounts end with their contact."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import Role, User
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.core.tokens import token_digest
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.portal import services
from guanxi.portal.models import PortalAccount, PortalInvitation, PortalToken

pytestmark = pytest.mark.django_db

GOOD = "Lantern-harbour-93"


@pytest.fixture
def customer(am_a):
    return CustomerFactory(owner=am_a, team=am_a.team)


@pytest.fixture
def invited(am_a, customer, django_capture_on_commit_callbacks):
    contact = ContactFactory(customer=customer, email="wang@client.cn")
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invitation_create(
            actor=am_a, customer_id=customer.pk, email="Wang@Client.cn", role="approver",
            contact_id=contact.pk,
        )  # fmt: skip
    return invitation, token


def test_the_invitation_stores_only_the_hash_of_its_token_and_mails_the_link(invited):
    invitation, token = invited

    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not PortalInvitation.objects.filter(token_hash=token).exists()
    assert invitation.email == "wang@client.cn"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@client.cn"]
    assert reverse("portal:accept", args=[token]) in message.body
    assert AuditEntry.objects.filter(model="portal.portalinvitation", action="create").exists()


def test_accepting_sets_the_password_and_opens_the_portal_signed_in(client, invited, customer):
    invitation, token = invited
    url = reverse("portal:accept", args=[token])
    assert client.get(url).status_code == 200

    response = client.post(url, {"name": "王经理", "password1": GOOD, "password2": GOOD})

    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    user = User.objects.get(username="wang@client.cn")
    assert user.role == Role.PORTAL and user.check_password(GOOD)
    account = PortalAccount.objects.get(user=user)
    assert account.customer_id == customer.pk and account.role == "approver"
    assert account.contact_bound and account.contact_id == invitation.contact_id
    assert client.get(reverse("portal:home")).status_code == 200
    entry = AuditEntry.objects.get(model="portal.portalaccount", action="create")
    assert entry.actor_id == user.pk  # the portal user is the actor


def test_a_used_link_is_refused(client, invited):
    _invitation, token = invited
    services.invitation_accept(token=token, password1=GOOD, password2=GOOD)

    with pytest.raises(services.InvitationUsed):
        services.invitation_accept(token=token, password1=GOOD, password2=GOOD)
    page = client.get(reverse("portal:accept", args=[token]))
    assert page.status_code == 410
    assert User.objects.filter(username="wang@client.cn").count() == 1


def test_an_expired_link_is_refused_and_writes_nothing(client, invited):
    invitation, token = invited
    PortalInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    with pytest.raises(services.InvitationExpired):
        services.invitation_accept(token=token, password1=GOOD, password2=GOOD)
    response = client.post(
        reverse("portal:accept", args=[token]), {"password1": GOOD, "password2": GOOD}
    )
    assert response.status_code == 410
    assert not User.objects.filter(username="wang@client.cn").exists()


def test_an_unknown_token_is_404(client):
    assert client.get(reverse("portal:accept", args=["x" * 43])).status_code == 404
    with pytest.raises(NotFound):
        services.invitation_by_token(token="short")


@pytest.mark.parametrize(
    ("password1", "password2", "field"),
    [
        ("123", "123", "password1"),
        ("password", "password", "password1"),
        (GOOD, "other", "password2"),
    ],
)
def test_weak_or_mismatched_passwords_are_refused_naming_the_field(
    invited, password1, password2, field
):
    _invitation, token = invited
    with pytest.raises(ValidationFailed) as caught:
        services.invitation_accept(token=token, password1=password1, password2=password2)
    assert field in caught.value.errors
    assert not User.objects.filter(username="wang@client.cn").exists()


def test_only_staff_who_may_change_the_customer_invite(am_b, portal_user, customer):
    with pytest.raises(NotFound):
        services.invitation_create(actor=am_b, customer_id=customer.pk, email="a@b.cn")
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=portal_user, customer_id=customer.pk, email="a@b.cn")
    assert not PortalInvitation.objects.exists()


def test_bad_invitation_input_names_the_field(am_a, customer):
    for kwargs, field in [
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@b.cn", "role": "boss"}, "role"),
        ({"email": "a@b.cn", "contact_id": 999999}, "contact_id"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            services.invitation_create(actor=am_a, customer_id=customer.pk, **kwargs)
        assert field in caught.value.errors
    assert not PortalInvitation.objects.exists()


def test_the_staff_page_invites_and_deactivates(client, am_a, customer):
    client.force_login(am_a)
    url = reverse("portal:manage", args=[customer.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        reverse("portal:invite", args=[customer.pk]), {"email": "li@client.cn", "role": "viewer"}
    )
    assert response.status_code == 302
    invitation = PortalInvitation.objects.get(email="li@client.cn")
    raw = "t" * 43
    PortalInvitation.objects.filter(pk=invitation.pk).update(token_hash=token_digest(raw))
    account = services.invitation_accept(token=raw, password1=GOOD, password2=GOOD)
    PortalToken.objects.create(account=account, name="x", prefix="gxp_x", key_hash="h" * 64)

    response = client.post(reverse("portal:account_deactivate", args=[account.pk]))

    assert response.status_code == 302
    account.refresh_from_db()
    account.user.refresh_from_db()
    assert not account.active and account.deactivated_at is not None
    assert not account.user.is_active
    assert not PortalToken.objects.filter(account=account, revoked_at__isnull=True).exists()


def test_the_sweep_ends_the_accounts_whose_contact_is_gone(invited):
    _invitation, token = invited
    account = services.invitation_accept(token=token, password1=GOOD, password2=GOOD)
    assert services.accounts_sweep() == 0

    account.contact.delete()

    assert services.accounts_sweep() == 1
    account.refresh_from_db()
    assert not account.active
    assert services.accounts_sweep() == 0


def test_password_reset_mails_portal_users_only(client, invited, am_a):
    _invitation, token = invited
    services.invitation_accept(token=token, password1=GOOD, password2=GOOD)
    mail.outbox.clear()
    am_a.email = "am@hanhai.cn"
    am_a.save()

    client.post(reverse("portal:password_reset"), {"email": "wang@client.cn"})
    client.post(reverse("portal:password_reset"), {"email": "am@hanhai.cn"})

    assert [m.to for m in mail.outbox] == [["wang@client.cn"]]
    assert "/portal/password/reset/" in mail.outbox[0].body
