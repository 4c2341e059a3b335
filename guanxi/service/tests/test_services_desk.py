"""The desk's writes: canned replies (fields filled in safely), saved views, merging a
duplicate ticket and the queue's bulk actions."""

from __future__ import annotations

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.attachments.models import Attachment
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.service import selectors
from guanxi.service.models import CannedReply, SavedView, Ticket, TicketMessage
from guanxi.service.services import desk
from guanxi.service.services import tickets as services
from guanxi.service.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


# --- canned replies --------------------------------------------------------------------------


def test_canned_reply_fields_are_filled_and_nothing_else_is_interpreted(agent, am_a):
    customer = CustomerFactory(owner=am_a, name="华为")
    ticket = TicketFactory(
        customer=customer, subject="发票", contact=ContactFactory(customer=customer, name="张三")
    )
    reply = desk.canned_reply_create(
        actor=agent,
        data={
            "title": "问候",
            "body": "{{contact}} 您好，{{ customer }} 的 {{ticket}} 由 {{agent}} 处理。"
            "{{ settings.SECRET_KEY }} {% debug %} {{customer.owner.password}}",
        },
    )
    text = selectors.render_canned(reply=reply, ticket=ticket, agent=agent)
    assert text.startswith(f"张三 您好，华为 的 #{ticket.pk} 发票 由 {agent} 处理。")
    assert text.endswith("{{ settings.SECRET_KEY }} {% debug %} {{customer.owner.password}}")


def test_personal_replies_are_private_and_shared_ones_need_a_manager(agent, manager_a):
    mine = desk.canned_reply_create(actor=agent, data={"title": "我的", "body": "x"})
    with pytest.raises(ValidationFailed) as exc:
        desk.canned_reply_create(actor=agent, data={"title": "共享", "body": "x", "shared": True})
    assert "shared" in exc.value.errors
    shared = desk.canned_reply_create(
        actor=manager_a, data={"title": "共享", "body": "y", "shared": True}
    )
    assert set(selectors.canned_replies(actor=agent)) == {mine, shared}
    assert set(selectors.canned_replies(actor=manager_a)) == {shared}
    with pytest.raises(PermissionDenied):
        desk.canned_reply_update(actor=agent, reply_id=shared.pk, data={"body": "z"}, version=1)
    with pytest.raises(NotFound):  # another's personal reply is not even there
        desk.canned_reply_delete(actor=manager_a, reply_id=mine.pk, version=1)
    assert CannedReply.objects.get(pk=shared.pk).body == "y"


def test_canned_reply_bad_input_and_delete_are_audited(agent):
    with pytest.raises(ValidationFailed) as exc:
        desk.canned_reply_create(actor=agent, data={"title": " ", "body": "x" * 10_001})
    assert set(exc.value.errors) == {"title", "body"}
    reply = desk.canned_reply_create(actor=agent, data={"title": "t", "body": "b"})
    desk.canned_reply_delete(actor=agent, reply_id=reply.pk, version=1)
    assert not CannedReply.objects.exists()
    assert list(
        AuditEntry.objects.filter(model="service.cannedreply")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["create", "delete"]


# --- saved views -----------------------------------------------------------------------------


def test_one_default_view_per_user(agent):
    a = desk.saved_view_create(
        actor=agent, name="紧急", filters={"priority": "urgent"}, is_default=True
    )
    b = desk.saved_view_create(
        actor=agent,
        name="投诉",
        filters={"queue": "team", "category": "complaint"},
        is_default=True,
    )
    a.refresh_from_db()
    assert not a.is_default and b.is_default
    assert b.filters == {"queue": "team", "category": "complaint"}
    assert selectors.default_view(actor=agent) == b
    desk.saved_view_set_default(actor=agent, view_id=a.pk)
    assert selectors.default_view(actor=agent) == a


@pytest.mark.parametrize(
    ("name", "filters", "field"),
    [
        ("", {}, "name"),
        ("x" * 61, {}, "name"),
        ("v", {"priority": "asap"}, "priority"),
        ("v", {"queue": "everything"}, "queue"),
        ("v", {"customer": "abc"}, "customer"),
    ],
)
def test_bad_saved_view_is_refused_naming_the_field(agent, name, filters, field):
    with pytest.raises(ValidationFailed) as exc:
        desk.saved_view_create(actor=agent, name=name, filters=filters)
    assert field in exc.value.errors
    assert not SavedView.objects.exists()


def test_views_are_per_user(agent, am_a):
    view = desk.saved_view_create(actor=agent, name="v", filters={})
    assert selectors.saved_views(actor=am_a) == []
    with pytest.raises(NotFound):
        desk.saved_view_delete(actor=am_a, view_id=view.pk)
    desk.saved_view_create(actor=am_a, name="v", filters={})  # same name, other user
    with pytest.raises(ValidationFailed):
        desk.saved_view_create(actor=agent, name="v", filters={})


# --- merge -----------------------------------------------------------------------------------


@pytest.fixture
def pair(agent, am_a):
    customer = CustomerFactory(owner=am_a)
    a = services.ticket_create(
        actor=agent, data={"subject": "打印机坏了"}, customer_id=customer.pk, body="第一封"
    )
    b = services.ticket_create(
        actor=agent, data={"subject": "打印机坏了（重复）"}, customer_id=customer.pk, body="第二封"
    )
    return a, b


def _file(ticket):
    return Attachment.objects.create(
        target_model="service.ticket",
        target_id=str(ticket.pk),
        stored_name=f"x/{ticket.pk}",
        name="照片.png",
        size=1,
        content_type="image/png",
        sha256="0" * 64,
    )


def test_merge_moves_messages_and_files_and_closes_the_duplicate(pair, agent):
    a, b = pair
    photo = _file(b)
    desk.ticket_merge(actor=agent, target_id=a.pk, source_id=b.pk)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.status == "closed" and b.merged_into_id == a.pk and b.closed_at is not None
    bodies = list(a.messages.order_by("id").values_list("body", flat=True))
    assert bodies[:2] == ["第一封", "第二封"] and f"#{b.pk}" in bodies[2]
    assert list(b.messages.values_list("body", flat=True)) == [f"已合并到工单 #{a.pk}。"]
    photo.refresh_from_db()
    assert photo.target_id == str(a.pk)
    audited = set(
        AuditEntry.objects.filter(model="service.ticket", action="update").values_list(
            "object_id", flat=True
        )
    )
    assert audited == {str(a.pk), str(b.pk)}
    assert AuditEntry.objects.filter(model="attachments.attachment", action="update").exists()
    assert TimelineEntry.objects.filter(title__contains=f"#{b.pk} 合并到 #{a.pk}").count() == 1


def test_merge_across_customers_needs_confirmation(agent, am_a):
    a = TicketFactory(customer=CustomerFactory(owner=am_a))
    b = TicketFactory(customer=CustomerFactory(owner=am_a))
    TicketMessage.objects.create(ticket=b, kind="incoming", body="hi")
    with pytest.raises(ValidationFailed) as exc:
        desk.ticket_merge(actor=agent, target_id=a.pk, source_id=b.pk)
    assert "confirm_other_customer" in exc.value.errors
    assert Ticket.objects.get(pk=b.pk).status == "new" and b.messages.count() == 1
    desk.ticket_merge(actor=agent, target_id=a.pk, source_id=b.pk, confirm_other_customer=True)
    assert Ticket.objects.get(pk=b.pk).merged_into_id == a.pk
    # each customer's timeline tells of it
    assert TimelineEntry.objects.filter(title__contains="合并到").count() == 2


def test_merge_refusals(pair, agent, am_b):
    a, b = pair
    with pytest.raises(ValidationFailed):
        desk.ticket_merge(actor=agent, target_id=a.pk, source_id=a.pk)
    with pytest.raises(NotFound):  # am_b reads neither ticket
        desk.ticket_merge(actor=am_b, target_id=a.pk, source_id=b.pk)
    desk.ticket_merge(actor=agent, target_id=a.pk, source_id=b.pk)
    with pytest.raises(ValidationFailed) as exc:
        desk.ticket_merge(actor=agent, target_id=a.pk, source_id=b.pk)
    assert "source_id" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        desk.ticket_merge(actor=agent, target_id=b.pk, source_id=a.pk)
    assert "target_id" in exc.value.errors


# --- bulk actions ----------------------------------------------------------------------------


def test_bulk_assign_reports_the_rows_it_may_not_change(am_a, am_b, agent):
    own = [TicketFactory(customer=CustomerFactory(owner=am_a)) for _ in range(2)]
    foreign = TicketFactory(customer=CustomerFactory(owner=am_b))
    rows = desk.tickets_bulk(
        actor=am_a,
        action="assign",
        assignee_id=am_a.pk,
        items=[(t.pk, t.version) for t in [*own, foreign]],
    )
    assert [(r.ticket_id, r.ok) for r in rows] == [
        (own[0].pk, True),
        (own[1].pk, True),
        (foreign.pk, False),
    ]
    assert rows[2].message == "工单不存在。"
    assert set(Ticket.objects.filter(assignee=am_a).values_list("pk", flat=True)) == {
        t.pk for t in own
    }


def test_bulk_stale_row_is_reported_and_others_done(agent, am_a):
    t1, t2 = (TicketFactory(customer=CustomerFactory(owner=am_a)) for _ in range(2))
    Ticket.objects.filter(pk=t2.pk).update(version=5)
    rows = desk.tickets_bulk(
        actor=agent, action="priority", priority="urgent", items=[(t1.pk, 1), (t2.pk, 1)]
    )
    assert [r.ok for r in rows] == [True, False]
    assert Ticket.objects.get(pk=t1.pk).priority == "urgent"
    assert Ticket.objects.get(pk=t2.pk).priority == "normal"


def test_bulk_close_and_a_project_member_may_not(agent, am_a, team_a):
    t1 = TicketFactory(customer=CustomerFactory(owner=am_a))
    rows = desk.tickets_bulk(actor=agent, action="close", items=[(t1.pk, 1)])
    assert rows[0].ok and Ticket.objects.get(pk=t1.pk).status == "closed"
    rows = desk.tickets_bulk(actor=agent, action="close", items=[(t1.pk, 2)])
    assert not rows[0].ok  # closed → closed is not a move
    member = UserFactory(username="pm9", role=Role.PROJECT_MEMBER, team=team_a)
    with pytest.raises(PermissionDenied):
        desk.tickets_bulk(actor=member, action="close", items=[(t1.pk, 2)])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"action": "delete"}, "action"),
        ({"action": "priority", "priority": "asap"}, "priority"),
        ({"action": "assign"}, "assignee_id"),
        ({"action": "assign", "assignee_id": 99999}, "assignee_id"),
        ({"action": "close", "items": []}, "items"),
    ],
)
def test_bulk_bad_input_names_the_field(agent, am_a, kwargs, field):
    t = TicketFactory(customer=CustomerFactory(owner=am_a))
    kwargs.setdefault("items", [(t.pk, 1)])
    with pytest.raises(ValidationFailed) as exc:
        desk.tickets_bulk(actor=agent, **kwargs)
    assert field in exc.value.errors
    t.refresh_from_db()
    assert (t.status, t.version, t.assignee_id) == ("new", 1, None)
