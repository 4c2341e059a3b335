"""Every portal action is audited once, by the app that owns the row, with the portal user
as actor: no entry is written as the system and rewritten afterwards, and the customer's
timeline names the portal user too."""

from __future__ import annotations

import importlib
import io

import pytest

from guanxi.attachments.tests.conftest import PNG_BYTES
from guanxi.core.errors import NotFound
from guanxi.core.models import AuditEntry
from guanxi.portal import services
from guanxi.service.models import TicketStatus

pytestmark = pytest.mark.django_db


def _timeline_model():
    # Imported by name: the portal (tests included) imports no customers model.
    return importlib.import_module("guanxi.customers.models").TimelineEntry


def _last_pk(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


class Trail:
    """The audit and timeline rows one action wrote."""

    def __init__(self) -> None:
        self.audit_since = _last_pk(AuditEntry)
        self.timeline_since = _last_pk(_timeline_model())

    def audit(self) -> list[tuple[str, str, int | None, str]]:
        return list(
            AuditEntry.objects.filter(pk__gt=self.audit_since)
            .order_by("pk")
            .values_list("model", "action", "actor_id", "actor_label")
        )

    def timeline_actors(self) -> list[int | None]:
        return list(
            _timeline_model()
            .objects.filter(pk__gt=self.timeline_since)
            .values_list("actor_id", flat=True)
        )


def _assert_all_by(rows, user) -> None:
    assert rows, "the action wrote no audit entry"
    assert {(actor, label) for _m, _a, actor, label in rows} == {(user.pk, user.get_username())}


def test_raising_a_ticket_is_audited_once_as_the_portal_user(company_a):
    trail = Trail()
    ticket = services.ticket_raise(
        user=company_a.user, subject="网络中断", category="repair", description="三楼断网"
    )

    rows = trail.audit()
    assert [(m, a) for m, a, *_ in rows if m == "service.ticket"] == [("service.ticket", "create")]
    _assert_all_by(rows, company_a.user)
    assert trail.timeline_actors() == [company_a.user.pk]
    assert ticket.messages.get().author_id == company_a.user.pk


def test_a_reply_is_audited_once_as_the_portal_user(company_a):
    assert company_a.ticket.status == TicketStatus.WAITING
    trail = Trail()
    message = services.ticket_reply(user=company_a.user, ticket_id=company_a.ticket.pk, body="好")

    rows = trail.audit()
    # The message, and the ticket opened again (it was waiting for the customer).
    assert sorted((m, a) for m, a, *_ in rows) == [
        ("service.ticket", "update"),
        ("service.ticketmessage", "create"),
    ]
    _assert_all_by(rows, company_a.user)
    message.refresh_from_db()
    assert message.author_id == company_a.user.pk


def test_closing_is_audited_once_as_the_portal_user(company_a):
    trail = Trail()
    services.ticket_close(user=company_a.user, ticket_id=company_a.ticket.pk)

    rows = trail.audit()
    assert [(m, a) for m, a, *_ in rows if m == "service.ticket"] == [("service.ticket", "update")]
    _assert_all_by(rows, company_a.user)
    actors = trail.timeline_actors()
    assert actors and set(actors) == {company_a.user.pk}
    company_a.ticket.refresh_from_db()
    assert company_a.ticket.status == TicketStatus.CLOSED


def test_an_attached_file_is_audited_once_as_the_portal_user(company_a):
    trail = Trail()
    attachment = services.ticket_attach(
        user=company_a.user, ticket_id=company_a.ticket.pk, stream=io.BytesIO(PNG_BYTES),
        name="photo.png",
    )  # fmt: skip

    rows = trail.audit()
    assert [(m, a) for m, a, *_ in rows] == [("attachments.attachment", "create")]
    _assert_all_by(rows, company_a.user)
    attachment.refresh_from_db()
    assert attachment.uploaded_by_id == company_a.user.pk


def test_a_survey_answer_is_audited_once_as_the_portal_user(company_a):
    trail = Trail()
    survey = services.survey_answer(user=company_a.user, survey_id=company_a.survey.pk, score=5)

    rows = trail.audit()
    assert [(m, a) for m, a, *_ in rows] == [("service.survey", "update")]
    _assert_all_by(rows, company_a.user)
    assert trail.timeline_actors() == [company_a.user.pk]
    survey.refresh_from_db()
    assert survey.score == 5
    # The mailed link was not replaced: the portal no longer rewrites the token.
    assert survey.token_hash == company_a.survey.token_hash


def test_a_refused_reply_to_another_companys_ticket_writes_nothing(company_a, company_b):
    trail = Trail()
    with pytest.raises(NotFound):
        services.ticket_reply(user=company_a.user, ticket_id=company_b.ticket.pk, body="x")

    assert trail.audit() == []
    assert trail.timeline_actors() == []
