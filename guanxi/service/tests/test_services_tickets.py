import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.service.models import MessageKind, Ticket, TicketMessage
from guanxi.service.services import tickets as services
from guanxi.service.tests.factories import SlaPolicyFactory
from guanxi.webhooks.models import OutboxEvent

SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 30, 10, tzinfo=SH)


def _create(actor, customer, **kw):
    return services.ticket_create(
        actor=actor,
        customer_id=customer.pk,
        data={"subject": "打印机卡纸", "channel": "phone", "category": "repair"},
        **kw,
    )


@pytest.fixture
def customer(am_a):
    return CustomerFactory(owner=am_a)


def test_create_audits_timelines_and_emits(agent, customer):
    ticket = _create(agent, customer, body="第三台打印机一直卡纸")
    assert ticket.status == "new"
    assert TicketMessage.objects.get(ticket=ticket).kind == MessageKind.INCOMING
    assert (
        AuditEntry.objects.filter(
            model="service.ticket",
            object_id=str(ticket.pk),
            action="create",
            customer_id=customer.pk,
        ).count()
        == 1
    )
    entry = TimelineEntry.objects.get(customer=customer, kind="ticket")
    assert entry.subject_id == str(ticket.pk)
    assert OutboxEvent.objects.filter(event="ticket.created").count() == 1


def test_create_needs_a_known_contact_of_the_customer(agent, customer):
    other = ContactFactory()
    with pytest.raises(ValidationFailed) as exc:
        _create(agent, customer, contact_id=other.pk)
    assert "contact_id" in exc.value.errors
    assert not Ticket.objects.exists()


def test_create_refuses_a_bad_choice_naming_it(agent, customer):
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_create(
            actor=agent, customer_id=customer.pk, data={"subject": "x", "priority": "asap"}
        )
    assert list(exc.value.errors) == ["priority"]
    assert not Ticket.objects.exists()


def test_account_manager_cannot_open_a_ticket_for_another_ones_customer(am_b, customer):
    with pytest.raises(NotFound):
        _create(am_b, customer)


def test_account_manager_needs_a_customer(am_a):
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_create(actor=am_a, data={"subject": "无客户"})
    assert "customer_id" in exc.value.errors


def test_status_flow_and_reopen(agent, customer):
    ticket = _create(agent, customer)
    for status in ("open", "waiting", "open", "resolved", "closed", "open"):
        ticket = services.ticket_transition(
            actor=agent, ticket_id=ticket.pk, status=status, version=ticket.version
        )
        assert ticket.status == status
    assert ticket.closed_at is None and ticket.resolved_at is None
    kinds = list(TimelineEntry.objects.filter(kind="ticket").values_list("title", flat=True))
    assert len(kinds) == 4  # created, resolved, closed, reopened
    assert OutboxEvent.objects.filter(event="ticket.closed").count() == 1


@pytest.mark.parametrize(
    ("path", "bad"),
    [((), "new"), (("resolved",), "waiting"), (("closed",), "resolved"), ((), "done")],
)
def test_invalid_transitions_name_the_status_and_change_nothing(agent, customer, path, bad):
    ticket = _create(agent, customer)
    for status in path:
        ticket = services.ticket_transition(
            actor=agent, ticket_id=ticket.pk, status=status, version=ticket.version
        )
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_transition(
            actor=agent, ticket_id=ticket.pk, status=bad, version=ticket.version
        )
    assert list(exc.value.errors) == ["status"]
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.version) == (ticket.status, ticket.version)
    assert AuditEntry.objects.count() == audits


def test_stale_version_is_a_conflict(agent, customer):
    ticket = _create(agent, customer)
    with pytest.raises(Conflict):
        services.ticket_transition(
            actor=agent, ticket_id=ticket.pk, status="open", version=ticket.version + 1
        )


def test_reply_answers_first_response_opens_and_mails(agent, customer, mailoutbox):
    SlaPolicyFactory()
    ticket = services.ticket_create(
        actor=agent,
        customer_id=customer.pk,
        data={"subject": "网络中断"},
        requester_email="li@example.com",
        message_id="<first@example.com>",
        now=MONDAY_10,
    )
    with_commit = services.ticket_reply
    message = with_commit(actor=agent, ticket_id=ticket.pk, body="已安排工程师", now=MONDAY_10)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.first_responded_at == MONDAY_10
    assert message.in_reply_to == "<first@example.com>"
    assert message.message_id.endswith("@desk.example.com>")


def test_internal_note_is_not_a_response_and_not_mailed(
    agent, customer, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = services.ticket_create(
        actor=agent,
        customer_id=customer.pk,
        data={"subject": "x"},
        requester_email="li@example.com",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(
            actor=agent, ticket_id=ticket.pk, body="内部：先查合同", internal=True
        )
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.first_responded_at is None
    assert mailoutbox == []


def test_reply_mail_carries_threading_headers(
    agent, customer, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = services.ticket_create(
        actor=agent,
        customer_id=customer.pk,
        data={"subject": "发票问题"},
        requester_email="li@example.com",
        message_id="<first@example.com>",
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = services.ticket_reply(actor=agent, ticket_id=ticket.pk, body="已重开发票")
    assert len(mailoutbox) == 1
    sent = mailoutbox[0]
    assert sent.to == ["li@example.com"]
    assert sent.extra_headers["In-Reply-To"] == "<first@example.com>"
    assert "<first@example.com>" in sent.extra_headers["References"]
    assert sent.extra_headers["Message-ID"] == message.message_id
    assert services.ticket_token(ticket.pk) in sent.subject
    assert services.ticket_id_from_subject(sent.subject) == ticket.pk


def test_a_forged_token_finds_nothing(agent, customer):
    ticket = _create(agent, customer)
    assert services.ticket_id_from_subject(f"Re: x [#{ticket.pk}-00000000]") is None


def test_scope_other_account_manager_sees_nothing(agent, am_b, customer):
    ticket = _create(agent, customer)
    with pytest.raises(NotFound):
        services.ticket_reply(actor=am_b, ticket_id=ticket.pk, body="hi")


def test_assignee_outside_customer_scope_may_work_the_ticket(agent, am_b, customer):
    ticket = _create(agent, customer, assignee_id=am_b.pk)
    message = services.ticket_reply(actor=am_b, ticket_id=ticket.pk, body="我来处理")
    assert message.author == am_b


def test_project_member_may_not_work_tickets(agent, customer, team_a):
    member = UserFactory(username="pm", role=Role.PROJECT_MEMBER, team=team_a)
    ticket = _create(agent, customer)
    with pytest.raises(NotFound):
        services.ticket_transition(actor=member, ticket_id=ticket.pk, status="open", version=1)


def test_manager_works_tickets_of_their_departments_customers_only(agent, team_b):
    manager_b = UserFactory(username="mb", role=Role.MANAGER, team=team_b)
    other = CustomerFactory(
        owner=UserFactory(username="amb2", role=Role.ACCOUNT_MANAGER, team=team_b)
    )
    ticket = _create(agent, other)
    outsider = UserFactory(username="agent2", role=Role.ACCOUNT_MANAGER)
    with pytest.raises(NotFound):
        services.ticket_transition(actor=outsider, ticket_id=ticket.pk, status="open", version=1)
    moved = services.ticket_transition(
        actor=manager_b, ticket_id=ticket.pk, status="open", version=1
    )
    assert moved.status == "open"


def test_assign_to_a_user_who_does_not_serve_is_refused(agent, customer, team_a):
    member = UserFactory(username="pm2", role=Role.PROJECT_MEMBER, team=team_a)
    ticket = _create(agent, customer)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_update(
            actor=agent, ticket_id=ticket.pk, data={}, version=1, assignee_id=member.pk
        )
    assert "assignee_id" in exc.value.errors


def test_assign_notifies_the_assignee(agent, am_a, customer):
    from guanxi.notifications.models import Notification

    ticket = _create(agent, customer)
    ticket = services.ticket_update(
        actor=agent, ticket_id=ticket.pk, data={"priority": "high"}, version=1, assignee_id=am_a.pk
    )
    assert (ticket.assignee, ticket.team_id, ticket.priority) == (am_a, am_a.team_id, "high")
    assert Notification.objects.filter(recipient=am_a, kind="service_ticket_assigned").count() == 1


def test_unknown_queue_ticket_only_for_those_who_read_everything(agent, am_a):
    ticket = services.ticket_create(actor=agent, data={"subject": "陌生来信"})
    assert ticket.customer is None
    with pytest.raises(NotFound):
        services.ticket_reply(actor=am_a, ticket_id=ticket.pk, body="x")


def test_portal_user_is_refused(portal_user, agent, customer):
    ticket = _create(agent, customer)
    with pytest.raises((NotFound, PermissionDenied)):
        services.ticket_reply(actor=portal_user, ticket_id=ticket.pk, body="x")
