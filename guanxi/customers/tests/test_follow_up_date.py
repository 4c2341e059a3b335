"""A next follow-up date in the past (issue 10 item 32) is refused, with the field named,
on the web form and in the API alike: saved, it would be overdue at once (usually a typo
of the year). A date that has merely passed since does not block other edits, and a
follow-up recorded as already done may carry a past date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import ValidationFailed
from guanxi.customers import services
from guanxi.customers.models import Communication
from guanxi.customers.tests.factories import CommunicationFactory
from guanxi.customers.tests.test_api_support import Api, error_fields

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
ONE_DAY = dt.timedelta(days=1)


@pytest.fixture
def customer(am_a):
    return services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})


def _create(actor, customer, **data):
    return services.communication_create(
        actor=actor, customer_id=customer.pk, data={"channel": "phone", "summary": "沟通", **data}
    )


def test_a_past_date_is_refused_naming_the_field(am_a, customer):
    yesterday = timezone.localdate() - ONE_DAY
    with pytest.raises(ValidationFailed) as caught:
        _create(am_a, customer, next_follow_up=yesterday)
    assert list(caught.value.errors) == ["next_follow_up"]
    assert yesterday.isoformat() in caught.value.errors["next_follow_up"][0]
    assert not Communication.objects.exists()


def test_today_and_later_are_accepted(am_a, customer):
    today = timezone.localdate()
    assert _create(am_a, customer, next_follow_up=today).next_follow_up == today
    assert _create(am_a, customer, next_follow_up=today + ONE_DAY).pk


def test_a_done_follow_up_may_carry_a_past_date(am_a, customer):
    past = timezone.localdate() - dt.timedelta(days=10)
    comm = _create(am_a, customer, next_follow_up=past, follow_up_done=True)
    assert comm.next_follow_up == past


def test_a_date_that_has_since_passed_does_not_block_other_edits(am_a, customer):
    comm = CommunicationFactory(
        customer=customer, staff=am_a, next_follow_up=timezone.localdate() - dt.timedelta(days=3)
    )
    services.communication_update(
        actor=am_a, communication_id=comm.pk, data={"summary": "补充纪要"}, version=comm.version
    )
    comm.refresh_from_db()
    services.communication_update(
        actor=am_a, communication_id=comm.pk, data={"follow_up_done": True}, version=comm.version
    )


def test_moving_a_follow_up_into_the_past_is_refused(am_a, customer):
    comm = _create(am_a, customer, next_follow_up=timezone.localdate() + ONE_DAY)
    with pytest.raises(ValidationFailed) as caught:
        services.communication_update(
            actor=am_a,
            communication_id=comm.pk,
            data={"next_follow_up": timezone.localdate() - ONE_DAY},
            version=comm.version,
        )
    assert list(caught.value.errors) == ["next_follow_up"]
    comm.refresh_from_db()
    assert comm.next_follow_up == timezone.localdate() + ONE_DAY and comm.version == 1


def test_web_form_shows_the_error_at_the_field(am_a, customer):
    client = Client()
    client.force_login(am_a)
    yesterday = timezone.localdate() - ONE_DAY
    response = client.post(
        reverse("customers:communication_add", args=[customer.pk]),
        {"comm-channel": "phone", "comm-direction": "out",
         "comm-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "comm-summary": "电话沟通", "comm-next_follow_up": yesterday.isoformat()},
        **HX,
    )  # fmt: skip
    assert response.status_code == 422
    html = response.content.decode()
    assert "已经过去" in html and "is-invalid" in html
    assert not Communication.objects.exists()


def test_web_form_error_in_english(am_a, customer):
    client = Client()
    client.force_login(am_a)
    response = client.post(
        reverse("customers:communication_add", args=[customer.pk]),
        {"comm-channel": "phone", "comm-direction": "out",
         "comm-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "comm-summary": "call", "comm-next_follow_up": "2020-01-01"},
        HTTP_ACCEPT_LANGUAGE="en",
        **HX,
    )  # fmt: skip
    assert "has already passed" in response.content.decode()


def test_api_answers_422_naming_the_field(am_a, customer):
    response = Api(am_a).post(
        f"/customers/{customer.pk}/communications",
        {"channel": "phone", "summary": "沟通", "next_follow_up": "2020-01-01"},
    )
    assert response.status_code == 422
    assert error_fields(response) == ["next_follow_up"]
    assert not Communication.objects.exists()
