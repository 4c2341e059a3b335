"""A portal user's tickets and surveys: raise (with a file), reply, close, answer the CSAT —
each audited with the portal user as actor and seen on the staff side."""

from __future__ import annotations

import importlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.attachments.models import Attachment
from guanxi.attachments.tests.conftest import EXE_BYTES, PNG_BYTES
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.portal import selectors, services
from guanxi.portal.tests.conftest import make_company
from guanxi.service.models import MessageKind, Survey, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def _actors(model: str, object_id: int) -> set[str]:
    return set(
        AuditEntry.objects.filter(model=model, object_id=str(object_id)).values_list(
            "actor_label", flat=True
        )
    )


def test_a_raised_ticket_is_the_companys_on_the_portal_channel(company_a):
    ticket = services.ticket_raise(
        user=company_a.user, subject="  网络中断 ", category="repair", description="三楼断网"
    )

    ticket.refresh_from_db()
    assert ticket.customer_id == company_a.customer.pk
    assert ticket.contact_id == company_a.contact.pk
    assert (ticket.channel, ticket.category, ticket.status) == ("portal", "repair", "new")
    assert ticket.subject == "网络中断" and ticket.created_by_id == company_a.user.pk
    assert ticket.first_response_due is None or ticket.first_response_due > ticket.created_at
    assert list(ticket.messages.values_list("kind", "body")) == [("incoming", "三楼断网")]
    assert _actors("service.ticket", ticket.pk) == {company_a.user.username}
    # Imported by name: the portal (tests included) imports no customers model.
    timeline = importlib.import_module("guanxi.customers.models").TimelineEntry
    assert timeline.objects.filter(customer=company_a.customer, kind="ticket").exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "", "category": "repair", "description": "x"}, "subject"),
        ({"subject": "x" * 201, "category": "repair", "description": "x"}, "subject"),
        ({"subject": "a", "category": "boss", "description": "x"}, "category"),
        ({"subject": "a", "category": "repair", "description": " "}, "description"),
    ],
)
def test_bad_tickets_are_refused_naming_the_field(company_a, kwargs, field):
    before = Ticket.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.ticket_raise(user=company_a.user, **kwargs)
    assert field in caught.value.errors
    assert Ticket.objects.count() == before


def test_the_form_raises_a_ticket_with_its_attachment(client, company_a):
    client.force_login(company_a.user)
    upload = SimpleUploadedFile("photo.png", PNG_BYTES, content_type="image/png")

    response = client.post(
        reverse("portal:ticket_new"),
        {
            "category": "repair",
            "subject": "空调漏水",
            "description": "会议室空调漏水",
            "file": upload,
        },
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="空调漏水")
    assert response["Location"] == reverse("portal:ticket", args=[ticket.pk])
    attachment = Attachment.objects.get(target_model="service.ticket", target_id=str(ticket.pk))
    assert attachment.uploaded_by_id == company_a.user.pk
    assert _actors("attachments.attachment", attachment.pk) == {company_a.user.username}
    page = client.get(response["Location"]).content.decode()
    assert "photo.png" in page
    download = client.get(reverse("portal:attachment", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download) == PNG_BYTES


def test_a_refused_file_raises_no_ticket(client, company_a):
    client.force_login(company_a.user)
    upload = SimpleUploadedFile("tool.png", EXE_BYTES, content_type="image/png")

    response = client.post(
        reverse("portal:ticket_new"),
        {"category": "repair", "subject": "坏文件", "description": "x", "file": upload},
    )

    assert response.status_code == 422
    assert not Ticket.objects.filter(subject="坏文件").exists()


def test_a_reply_reopens_a_ticket_waiting_for_the_customer(client, company_a):
    client.force_login(company_a.user)
    ticket = company_a.ticket

    response = client.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": "型号 X1"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    message = ticket.messages.order_by("-id").first()
    assert (message.kind, message.body, message.author_id) == (
        MessageKind.INCOMING, "型号 X1", company_a.user.pk,
    )  # fmt: skip
    assert _actors("service.ticketmessage", message.pk) == {company_a.user.username}


def test_an_empty_reply_is_refused_and_changes_nothing(client, company_a):
    client.force_login(company_a.user)
    response = client.post(reverse("portal:ticket_reply", args=[company_a.ticket.pk]), {"body": ""})
    assert response.status_code == 422
    assert company_a.ticket.messages.count() == 3


def test_closing_stops_the_ticket_and_plans_the_csat(company_a, django_capture_on_commit_callbacks):
    Survey.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_close(user=company_a.user, ticket_id=company_a.ticket.pk)

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    assert Survey.objects.filter(ticket=ticket, kind="csat").count() == 1
    assert company_a.user.username in _actors("service.ticket", ticket.pk)
    with pytest.raises(ValidationFailed):
        services.ticket_reply(user=company_a.user, ticket_id=ticket.pk, body="again")


def test_another_companys_ticket_cannot_be_written(company_a, company_b):
    from guanxi.core.errors import NotFound

    for call in (
        lambda: services.ticket_reply(user=company_a.user, ticket_id=company_b.ticket.pk, body="x"),
        lambda: services.ticket_close(user=company_a.user, ticket_id=company_b.ticket.pk),
        lambda: services.survey_answer(user=company_a.user, survey_id=company_b.survey.pk, score=5),
    ):
        with pytest.raises(NotFound):
            call()
    company_b.ticket.refresh_from_db()
    assert company_b.ticket.status == "waiting"


def test_staff_users_are_not_portal_actors(am_a, company_a):
    with pytest.raises(PermissionDenied):
        services.ticket_raise(user=am_a, subject="x", category="repair", description="x")
    assert selectors.account_of(am_a) is None


def test_answering_the_csat_in_the_portal(client, company_a):
    client.force_login(company_a.user)
    url = reverse("portal:survey", args=[company_a.survey.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"score": "5", "comment": "很及时"})

    assert response.status_code == 302
    survey = Survey.objects.get(pk=company_a.survey.pk)
    assert (survey.score, survey.comment) == (5, "很及时") and survey.answered_at is not None
    assert _actors("service.survey", survey.pk) == {company_a.user.username}
    assert client.get(reverse("portal:home")).context["surveys"] == []


def test_a_refused_answer_changes_nothing_and_keeps_the_mailed_link(company_a):
    before = Survey.objects.get(pk=company_a.survey.pk).token_hash
    with pytest.raises(ValidationFailed) as caught:
        services.survey_answer(user=company_a.user, survey_id=company_a.survey.pk, score=9)
    assert "score" in caught.value.errors
    survey = Survey.objects.get(pk=company_a.survey.pk)
    assert survey.answered_at is None and survey.token_hash == before


def test_a_survey_is_answered_once(company_a):
    services.survey_answer(user=company_a.user, survey_id=company_a.survey.pk, score=4)
    with pytest.raises(Exception, match="回答过"):
        services.survey_answer(user=company_a.user, survey_id=company_a.survey.pk, score=5)
    assert Survey.objects.get(pk=company_a.survey.pk).score == 4


def test_the_sla_promise_is_in_plain_words(company_a):
    ticket = services.ticket_raise(
        user=company_a.user, subject="打不开", category="inquiry", description="系统打不开"
    )
    text = selectors.sla_promise(ticket)
    assert text and "%" not in text


@pytest.mark.parametrize("companies", [1, 3])
def test_home_pins_its_queries(client, company_a, django_assert_num_queries, companies):
    for n in range(companies):
        make_company(f"丁{n}")
    client.force_login(company_a.user)
    # session, user, account; changes, deliverables, surveys, the ticket lists (one query),
    # projects — the same however many companies, projects and tickets there are
    with django_assert_num_queries(8):
        page = client.get(reverse("portal:home"))
    assert page.status_code == 200
    assert company_a.ticket.subject in page.content.decode()  # waiting for the customer
