"""Writes of the agent's desk: canned replies, saved queue views, merging a duplicate
ticket into another and the queue's bulk actions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.attachments.models import Attachment
from guanxi.core import audit
from guanxi.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.writes import check_version, reject_unknown
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.service import selectors
from guanxi.service.models import (
    CannedReply,
    Complaint,
    MessageKind,
    SavedView,
    Ticket,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)
from guanxi.service.services import tickets

CANNED_FIELDS = frozenset({"title", "body", "shared"})
MAX_CANNED_BODY = 10_000
MAX_SAVED_VIEWS = 50
BULK_ACTIONS = ("assign", "priority", "close")
MAX_BULK = 200


# --- canned replies ------------------------------------------------------------------------


def _may_serve(actor: Any) -> None:
    if not selectors.can_serve(actor):
        raise PermissionDenied(_("你的角色不处理客服工单。"))


def _clean_canned(reply: CannedReply, actor: Any, data: Mapping[str, Any]) -> None:
    reject_unknown(data, CANNED_FIELDS)
    errors: dict[str, str] = {}
    if "title" in data:
        title = data["title"]
        if not isinstance(title, str) or not title.strip():
            errors["title"] = _("这个字段是必填项。")
        elif len(title.strip()) > 100:
            errors["title"] = _("不能超过 100 个字符。")
        else:
            reply.title = title.strip()
    if "body" in data:
        body = data["body"]
        if not isinstance(body, str) or not body.replace("\x00", "").strip():
            errors["body"] = _("这个字段是必填项。")
        elif len(body.strip()) > MAX_CANNED_BODY:
            errors["body"] = _("不能超过 10000 个字符。")
        else:
            reply.body = body.replace("\x00", "").strip()
    if "shared" in data:
        if not isinstance(data["shared"], bool):
            errors["shared"] = _("无效的选项。")
        elif (
            data["shared"] and not reply.shared and not permissions.can_share_canned_replies(actor)
        ):
            errors["shared"] = _("只有管理员和经理可以共享快捷回复。")
        else:
            reply.shared = data["shared"]
    if errors:
        raise ValidationFailed(errors)


def _canned_for_change(actor: Any, reply_id: int) -> CannedReply:
    reply = (
        selectors.canned_replies(actor=actor)
        .select_for_update(of=("self",))
        .filter(pk=reply_id)
        .first()
    )
    if reply is None:
        raise NotFound(_("快捷回复不存在。"))
    if not selectors.can_change_canned(actor, reply):
        raise PermissionDenied(_("只有创建人、管理员和经理可以修改共享的快捷回复。"))
    return reply


@transaction.atomic
def canned_reply_create(*, actor: Any, data: Mapping[str, Any]) -> CannedReply:
    _may_serve(actor)
    missing = {f: _("这个字段是必填项。") for f in ("title", "body") if f not in data}
    if missing:
        raise ValidationFailed(missing)
    reply = CannedReply(owner=actor)
    _clean_canned(reply, actor, data)
    reply.save()
    audit.audit_create(actor=actor, obj=reply)
    return reply


@transaction.atomic
def canned_reply_update(
    *, actor: Any, reply_id: int, data: Mapping[str, Any], version: int | None
) -> CannedReply:
    _may_serve(actor)
    reply = _canned_for_change(actor, reply_id)
    check_version(reply, version)
    before = audit.snapshot(reply)
    _clean_canned(reply, actor, data)
    if not audit.diff(before, audit.snapshot(reply, before.keys())):
        return reply
    reply.version += 1
    reply.save()
    audit.audit_update(actor=actor, obj=reply, before=before)
    return reply


@transaction.atomic
def canned_reply_delete(*, actor: Any, reply_id: int, version: int | None) -> None:
    _may_serve(actor)
    reply = _canned_for_change(actor, reply_id)
    check_version(reply, version)
    audit.audit_delete(actor=actor, obj=reply)
    reply.delete()


# --- saved views ---------------------------------------------------------------------------


@transaction.atomic
def saved_view_create(
    *, actor: Any, name: Any, filters: Mapping[str, Any], is_default: bool = False
) -> SavedView:
    """Save the queue and filters (validated like the queue's own) under ``name``; the
    default view replaces the previous default."""
    _may_serve(actor)
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed({"name": _("这个字段是必填项。")})
    if len(name.strip()) > 60:
        raise ValidationFailed({"name": _("不能超过 60 个字符。")})
    parsed = selectors.validate_filters(filters)
    mine = SavedView.objects.select_for_update().filter(owner=actor)
    if mine.count() >= MAX_SAVED_VIEWS:
        raise ValidationFailed({"name": _("最多保存 50 个视图。")})
    if mine.filter(name=name.strip()).exists():
        raise ValidationFailed({"name": _("已有同名的视图。")})
    if is_default:
        _clear_default(actor)
    view = SavedView(
        owner=actor, name=name.strip(), filters=parsed.as_query(), is_default=bool(is_default)
    )
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise ValidationFailed({"name": _("已有同名的视图。")}) from None
    audit.audit_create(actor=actor, obj=view)
    return view


def _clear_default(actor: Any) -> None:
    for old in SavedView.objects.filter(owner=actor, is_default=True):
        before = audit.snapshot(old)
        old.is_default = False
        old.save(update_fields=["is_default", "updated_at"])
        audit.audit_update(actor=actor, obj=old, before=before)


def _own_view(actor: Any, view_id: int) -> SavedView:
    view = SavedView.objects.select_for_update().filter(owner=actor, pk=view_id).first()
    if view is None:
        raise NotFound(_("视图不存在。"))
    return view


@transaction.atomic
def saved_view_set_default(*, actor: Any, view_id: int, is_default: bool = True) -> SavedView:
    _may_serve(actor)
    view = _own_view(actor, view_id)
    if view.is_default == is_default:
        return view
    if is_default:
        _clear_default(actor)
    before = audit.snapshot(view)
    view.is_default = is_default
    view.save(update_fields=["is_default", "updated_at"])
    audit.audit_update(actor=actor, obj=view, before=before)
    return view


@transaction.atomic
def saved_view_delete(*, actor: Any, view_id: int) -> None:
    _may_serve(actor)
    view = _own_view(actor, view_id)
    audit.audit_delete(actor=actor, obj=view)
    view.delete()


# --- merge ---------------------------------------------------------------------------------


def _timeline(ticket: Ticket, actor: Any, msgid: str, params: Mapping[str, Any]) -> None:
    if ticket.customer_id is not None:
        timeline_add(
            customer_id=ticket.customer_id,
            kind="ticket",
            occurred_at=timezone.now(),
            title=TimelineText(msgid, dict(params)),
            actor=actor,
            subject=ticket,
            data={"status": ticket.status, "category": ticket.category},
        )


@transaction.atomic(durable=True)
def ticket_merge(
    *, actor: Any, target_id: int, source_id: int, confirm_other_customer: bool = False
) -> Ticket:
    """Merge the duplicate ``source_id`` (B) into ``target_id`` (A): B's messages and
    attachments move to A, B is closed with a note "merged into #A" and points at A.
    Tickets of different customers merge only when ``confirm_other_customer`` says so
    (a wrong merge would show one customer's mail to another's agent)."""
    if target_id == source_id:
        raise ValidationFailed({"source_id": _("不能把工单合并到它自己。")})
    # Lock in id order, so two merges of the same pair cannot deadlock.
    first, second = sorted((target_id, source_id))
    locked = {first: tickets.ticket_lock(actor, first), second: tickets.ticket_lock(actor, second)}
    target, source = locked[target_id], locked[source_id]
    if source.merged_into_id is not None:
        raise ValidationFailed(
            {
                "source_id": _("工单 #%(n)s 已合并到 #%(to)s。")
                % {"n": source.pk, "to": source.merged_into_id}
            }
        )
    if target.merged_into_id is not None:
        raise ValidationFailed({"target_id": _("目标工单本身已被合并，不能再合并进去。")})
    if source.customer_id != target.customer_id and not confirm_other_customer:
        raise ValidationFailed(
            {"confirm_other_customer": _("两个工单属于不同客户：请确认后再合并。")}
        )
    now = timezone.now()
    moved = list(TicketMessage.objects.filter(ticket=source).values_list("pk", flat=True))
    TicketMessage.objects.filter(pk__in=moved).update(ticket=target)
    audit.audit_bulk_update(
        actor=actor,
        model=TicketMessage,
        rows=[
            (pk, f"#{pk}", target.customer_id, {"ticket": [source.pk, target.pk]}) for pk in moved
        ],
    )
    from guanxi.attachments.registry import attachable

    label = attachable("ticket").label
    files = Attachment.objects.filter(target_model=label, target_id=str(source.pk))
    file_ids = list(files.values_list("pk", flat=True))
    files.update(target_id=str(target.pk))
    audit.audit_bulk_update(
        actor=actor,
        model=Attachment,
        rows=[
            (pk, f"#{pk}", target.customer_id, {"target_id": [str(source.pk), str(target.pk)]})
            for pk in file_ids
        ],
    )
    # A complaint record follows its messages unless the target has its own.
    complaint = Complaint.objects.filter(ticket=source).first()
    if complaint is not None and not Complaint.objects.filter(ticket=target).exists():
        before_c = audit.snapshot(complaint)
        complaint.ticket = target
        complaint.version += 1
        complaint.save()
        audit.audit_update(
            actor=actor, obj=complaint, before=before_c, customer_id=target.customer_id
        )
    TicketMessage.objects.create(
        ticket=source,
        kind=MessageKind.NOTE,
        author=actor,
        body=_("已合并到工单 #%(n)s。") % {"n": target.pk},
    )
    TicketMessage.objects.create(
        ticket=target,
        kind=MessageKind.NOTE,
        author=actor,
        body=_("工单 #%(n)s 已合并到本工单（%(m)s 条消息，%(f)s 个附件）。")
        % {"n": source.pk, "m": len(moved), "f": len(file_ids)},
    )
    before = audit.snapshot(source)
    if source.status != TicketStatus.CLOSED:
        tickets.check_transition(source, TicketStatus.CLOSED)
        tickets._move(source, TicketStatus.CLOSED, now=now)
    source.merged_into = target
    source.version += 1
    source.save()
    audit.audit_update(actor=actor, obj=source, before=before, customer_id=source.customer_id)
    audit.audit_update(
        actor=actor,
        obj=target,
        before={},
        customer_id=target.customer_id,
        extra={"merged_from": [None, source.pk], "messages_moved": [None, len(moved)]},
    )
    params = {"number": source.pk, "target": target.pk, "subject": source.subject}
    _timeline(
        target, actor, gettext_noop("工单 #%(number)s 合并到 #%(target)s：%(subject)s"), params
    )
    if source.customer_id != target.customer_id:
        _timeline(
            source, actor, gettext_noop("工单 #%(number)s 合并到 #%(target)s：%(subject)s"), params
        )
    return target


# --- bulk actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkRow:
    ticket_id: int
    ok: bool
    message: str


def _bulk_items(items: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    rows = [(int(ticket_id), int(version)) for ticket_id, version in items]
    if not rows:
        raise ValidationFailed({"items": _("请至少选择一个工单。")})
    if len(rows) > MAX_BULK:
        raise ValidationFailed({"items": _("一次最多处理 200 个工单。")})
    if len({pk for pk, _v in rows}) != len(rows):
        raise ValidationFailed({"items": _("同一个工单选了两次。")})
    return rows


def tickets_bulk(
    *,
    actor: Any,
    action: Any,
    items: Iterable[tuple[int, int]],
    assignee_id: Any = None,
    priority: Any = None,
) -> list[BulkRow]:
    """Apply one action (assign, priority, close) to each ticket of ``items``
    (``(id, version)`` pairs: the version the actor saw must still hold), each row in its own
    transaction through the ticket services, so each row's permission and state are
    checked as if done alone. A row refused is reported with the reason, never skipped
    in silence; the rows done stay done."""
    _may_serve(actor)
    if action not in BULK_ACTIONS:
        raise ValidationFailed({"action": _("无效的选项。")})
    if action == "priority" and priority not in TicketPriority.values:
        raise ValidationFailed({"priority": _("无效的选项。")})
    if action == "assign":
        if assignee_id is None:
            raise ValidationFailed({"assignee_id": _("这个字段是必填项。")})
        tickets._resolve_assignee(actor, assignee_id)
    results: list[BulkRow] = []
    for ticket_id, version in _bulk_items(items):
        try:
            with transaction.atomic():
                if action == "assign":
                    tickets.ticket_update(
                        actor=actor,
                        ticket_id=ticket_id,
                        data={},
                        version=version,
                        assignee_id=assignee_id,
                    )
                    done = _("已分配。")
                elif action == "priority":
                    tickets.ticket_update(
                        actor=actor,
                        ticket_id=ticket_id,
                        data={"priority": priority},
                        version=version,
                    )
                    done = _("优先级已修改。")
                else:
                    tickets.ticket_transition(
                        actor=actor,
                        ticket_id=ticket_id,
                        status=TicketStatus.CLOSED,
                        version=version,
                    )
                    done = _("已关闭。")
        except DomainError as exc:
            results.append(BulkRow(ticket_id, False, exc.message))
        else:
            results.append(BulkRow(ticket_id, True, done))
    return results
