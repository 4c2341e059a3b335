"""What the service desk lets users import (``guanxi.imports.registry``): historic tickets
(历史工单) from the system it replaces — each row one ticket of the customer it names
(matched by name or phone with the importer's matcher, like communications and orders),
with its status, dates, category, priority, channel, handler and first message.

A historic ticket keeps its own dates: ``created_at`` is when it was opened, a resolved or
closed ticket its ``resolved_at`` / ``closed_at`` (filled from one another, or from the
opening, when the file gives only one). It carries no SLA clock of the past: a ticket still
open enters the desk with its SLA clocks started at the import (the desk takes it over now;
starting them at the opening would raise a flood of breaches for work done elsewhere).

Duplicates: the same customer, opening time and subject is the same ticket (updated,
skipped or created again by the run's mode). Undo removes the tickets the run created that
nobody worked on since (their version) and restores what it updated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.db.copy import fast_table
from guanxi.customers.importers.base import (
    CUSTOMER_REF_MESSAGES,
    CustomerRecordWriter,
    timeline_row,
    write_timeline,
)
from guanxi.customers.importers.fields import (
    CUSTOMER_REF,
    REQUIRED_CUSTOMER,
    REQUIRED_CUSTOMER_ERROR,
)
from guanxi.customers.models import TimelineEntry
from guanxi.customers.timeline import TimelineText
from guanxi.imports import registry
from guanxi.imports.context import CREATE_ACTION, ChunkResult
from guanxi.imports.fields import (
    CHOICE,
    DATETIME,
    EMAIL,
    TEXT,
    USER,
    FieldSpec,
    KindSpec,
    choice_words,
)
from guanxi.imports.models import OnDuplicate
from guanxi.imports.rows import CleanRow
from guanxi.imports.writers import audit_fields, create_changes, save_simple_updates, write_audit
from guanxi.service import selectors
from guanxi.service.models import (
    MessageKind,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)
from guanxi.service.services import sla

TICKET_LABEL: Final = "service.ticket"
MESSAGE_LABEL: Final = "service.ticketmessage"
UPDATE_FIELDS: Final = ("status", "category", "priority", "channel", "assignee_id", "team_id",
                        "resolved_at", "closed_at")  # fmt: skip
DONE: Final = (TicketStatus.RESOLVED, TicketStatus.CLOSED)

STATUS_WORDS: Final = choice_words(
    {
        "new": ("新建", "新", "未处理", "待处理", "待受理"),
        "open": ("处理中", "受理中", "进行中", "已受理", "跟进中", "in progress", "pending"),
        "waiting": ("等待客户", "待客户回复", "挂起", "on hold", "waiting on customer"),
        "resolved": ("已解决", "已处理", "已完成", "完成", "solved", "done"),
        "closed": ("已关闭", "关闭", "已结案", "结案", "归档", "closed"),
    }
)
CATEGORY_WORDS: Final = choice_words(
    {
        "inquiry": ("咨询", "询问", "问题", "question", "inquiry"),
        "complaint": ("投诉", "客诉", "complaint"),
        "repair": ("报修", "维修", "故障", "售后维修", "repair", "incident"),
        "suggestion": ("建议", "意见", "反馈", "suggestion", "feedback"),
    }
)
PRIORITY_WORDS: Final = choice_words(
    {
        "low": ("低", "不急", "low"),
        "normal": ("普通", "一般", "中", "正常", "normal", "medium"),
        "high": ("高", "重要", "急", "high"),
        "urgent": ("紧急", "非常紧急", "特急", "urgent", "critical"),
    }
)
CHANNEL_WORDS: Final = choice_words(
    {
        "phone": ("电话", "来电", "热线", "400", "phone", "call"),
        "email": ("邮件", "电子邮件", "邮箱", "email", "e-mail"),
        "portal": ("门户", "网站", "在线", "web", "portal"),
        "wechat": ("微信", "企业微信", "公众号", "wechat"),
        "visit": ("上门", "来访", "现场", "visit", "onsite"),
    }
)

TICKETS: Final = KindSpec(
    "tickets",
    _("历史工单"),
    (
        *CUSTOMER_REF,
        FieldSpec("subject", _("主题"), TEXT, required=True, max_length=200,
                  aliases=("主题", "标题", "工单标题", "工单主题", "问题", "问题描述",
                           "subject", "title", "summary")),
        FieldSpec("created_at", _("创建时间"), DATETIME, required=True,
                  aliases=("创建时间", "创建日期", "提交时间", "受理时间", "报修时间", "日期",
                           "时间", "createdat", "created", "opened", "date")),
        FieldSpec("status", _("状态"), CHOICE, choices=TicketStatus, words=STATUS_WORDS,
                  aliases=("状态", "工单状态", "处理状态", "status", "state")),
        FieldSpec("category", _("类别"), CHOICE, choices=TicketCategory, words=CATEGORY_WORDS,
                  aliases=("类别", "类型", "工单类型", "分类", "category", "type")),
        FieldSpec("priority", _("优先级"), CHOICE, choices=TicketPriority,
                  words=PRIORITY_WORDS,
                  aliases=("优先级", "紧急程度", "紧急度", "priority", "urgency")),
        FieldSpec("channel", _("渠道"), CHOICE, choices=TicketChannel, words=CHANNEL_WORDS,
                  aliases=("渠道", "来源", "受理渠道", "channel", "source")),
        FieldSpec("resolved_at", _("解决时间"), DATETIME,
                  aliases=("解决时间", "处理完成时间", "完成时间", "resolvedat", "resolved",
                           "solvedat")),
        FieldSpec("closed_at", _("关闭时间"), DATETIME,
                  aliases=("关闭时间", "结案时间", "closedat", "closed")),
        FieldSpec("assignee", _("处理人"), USER,
                  aliases=("处理人", "受理人", "客服", "负责人", "assignee", "agent", "owner")),
        FieldSpec("requester_name", _("提出人"), TEXT, max_length=100,
                  aliases=("提出人", "报修人", "联系人", "requester", "requestername",
                           "contact")),
        FieldSpec("requester_email", _("提出人邮箱"), EMAIL,
                  aliases=("提出人邮箱", "邮箱", "联系人邮箱", "email", "requesteremail")),
        FieldSpec("description", _("内容"), TEXT, max_length=100_000,
                  aliases=("内容", "描述", "详细描述", "问题详情", "description", "body",
                           "details")),
    ),
    required_any=REQUIRED_CUSTOMER,
    required_any_error=REQUIRED_CUSTOMER_ERROR,
)  # fmt: skip


def may_import(actor: Any) -> bool:
    """The service desk and whoever may create customers (as communications)."""
    return selectors.can_serve(actor)


def _dates(v: dict[str, Any]) -> tuple[str, dt.datetime | None, dt.datetime | None] | str:
    """(status, resolved_at, closed_at) of a row, or the field whose date is wrong."""
    created: dt.datetime = v["created_at"]
    resolved, closed = v.get("resolved_at"), v.get("closed_at")
    status = v.get("status") or (
        TicketStatus.CLOSED if closed else TicketStatus.RESOLVED if resolved else TicketStatus.NEW
    )
    if status not in DONE:
        if resolved or closed:
            return "resolved_at" if resolved else "closed_at"
        return status, None, None
    if resolved is not None and resolved < created:
        return "resolved_at"
    if closed is not None and closed < (resolved or created):
        return "closed_at"
    resolved = resolved or closed or created
    if status == TicketStatus.CLOSED:
        return status, resolved, closed or resolved
    if closed is not None:
        return "closed_at"
    return status, resolved, None


class TicketWriter(CustomerRecordWriter):
    def _assignees(self, rows: list[CleanRow]) -> dict[int, User]:
        ids = {r.values["assignee"] for r in rows if r.values.get("assignee")}
        if not ids:
            return {}
        return {u.pk: u for u in User.objects.filter(pk__in=ids).only("id", "team_id")}

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        customers = self.resolve_customers(rows, result, for_communication=True)
        rows = [r for r in rows if r.row in customers]
        assignees = self._assignees(rows)
        known: dict[tuple[int, dt.datetime, str], Ticket | int] = {}
        if mode != OnDuplicate.CREATE and rows:
            for ticket in Ticket.objects.filter(
                customer_id__in={c.pk for c in customers.values()},
                created_at__in={r.values["created_at"] for r in rows},
            ):
                assert ticket.customer_id is not None
                known.setdefault((ticket.customer_id, ticket.created_at, ticket.subject), ticket)
        creates: list[dict[str, Any]] = []
        bodies: list[str] = []
        befores: dict[int, dict[str, Any]] = {}
        objects: dict[int, Ticket] = {}
        for r in rows:
            v = r.values
            dates = _dates(v)
            if isinstance(dates, str):
                result.fail(r, self.col(dates), v.get(dates), f"ticket_{dates}_invalid")
                continue
            status, resolved, closed = dates
            customer = customers[r.row]
            assignee = assignees.get(v.get("assignee") or 0)
            row: dict[str, Any] = {
                "customer_id": customer.pk,
                "subject": v["subject"],
                "status": status,
                "category": v.get("category") or TicketCategory.INQUIRY,
                "priority": v.get("priority") or TicketPriority.NORMAL,
                "channel": v.get("channel") or TicketChannel.PHONE,
                "assignee_id": assignee.pk if assignee else None,
                "team_id": assignee.team_id if assignee else None,
                "requester_name": v.get("requester_name", ""),
                "requester_email": v.get("requester_email", ""),
                "created_at": v["created_at"],
                "resolved_at": resolved,
                "closed_at": closed,
                "created_by_id": ctx.actor_id,
            }
            key = (customer.pk, v["created_at"], v["subject"])
            hit = known.get(key)
            if hit is None:
                creates.append(row)
                bodies.append(v.get("description", ""))
                if mode != OnDuplicate.CREATE:
                    known[key] = -len(creates)
                result.mark(r, "create")
            elif mode == OnDuplicate.SKIP:
                result.mark(r, "skip")
            elif isinstance(hit, int):  # an earlier row of this file
                target = creates[-hit - 1]
                changed = any(target[k] != row[k] for k in UPDATE_FIELDS)
                target.update({k: row[k] for k in UPDATE_FIELDS})
                result.mark(r, "update" if changed else "unchanged")
            else:
                fields = [n for n in ("category", "priority", "channel") if v.get(n)]
                if assignee is not None:
                    fields += ["assignee_id", "team_id"]
                # Between done states only: reopening or closing a live ticket is the
                # desk's work (clocks, notices), not an import's.
                if hit.status != status and (hit.status not in DONE or status not in DONE):
                    result.fail(r, self.col("status"), v.get("status") or status,
                                "ticket_status_change")  # fmt: skip
                    continue
                if status in DONE:
                    fields += ["status", "resolved_at", "closed_at"]
                if hit.pk not in befores:
                    befores[hit.pk], objects[hit.pk] = audit.snapshot(hit), hit
                changed = False
                for name in fields:
                    if getattr(hit, name) != row[name]:
                        setattr(hit, name, row[name])
                        changed = True
                result.mark(r, "update" if changed else "unchanged")
        if creates:
            self._create(creates, bodies, result)
        if befores:
            save_simple_updates(ctx, Ticket, objects, befores, result)
        return result

    def _create(self, creates: list[dict[str, Any]], bodies: list[str],
                result: ChunkResult) -> None:  # fmt: skip
        ctx = self.ctx
        for row in creates:
            if row["status"] not in DONE:
                self._clocks(row)
        ids = fast_table(Ticket).insert(creates)
        result.add_created(TICKET_LABEL, ids)
        messages = [
            {"ticket_id": pk, "kind": MessageKind.INCOMING, "body": body,
             "from_email": row["requester_email"], "created_at": row["created_at"]}
            for pk, row, body in zip(ids, creates, bodies, strict=True)
            if body
        ]  # fmt: skip
        if messages:
            result.add_created(MESSAGE_LABEL, fast_table(TicketMessage).insert(messages))
        names = audit_fields(Ticket)
        audits, entries = [], []
        for pk, row in zip(ids, creates, strict=True):
            audits.append(
                ctx.audit_row(
                    action=CREATE_ACTION, model=TICKET_LABEL, object_id=pk,
                    object_repr=f"#{pk} {row['subject']}", customer_id=row["customer_id"],
                    changes=create_changes(row, names),
                )
            )  # fmt: skip
            entries.append(
                timeline_row(
                    ctx, customer_id=row["customer_id"], kind="ticket",
                    occurred_at=row["created_at"],
                    title=TimelineText(gettext_noop("新建工单 #%(number)s：%(subject)s"),
                                       {"number": pk, "subject": row["subject"]}),
                    subject_model=TICKET_LABEL, subject_id=pk,
                    data={"status": row["status"], "category": row["category"]},
                )
            )  # fmt: skip
        write_audit(audits)
        write_timeline(entries)

    def _clocks(self, row: dict[str, Any]) -> None:
        """SLA clocks of a ticket still open, started now (see the module)."""
        now = self.ctx.now
        ticket = Ticket(customer_id=row["customer_id"], priority=row["priority"],
                        channel=row["channel"], status=row["status"])  # fmt: skip
        sla.clock_start(ticket, now=now)
        if row["status"] != TicketStatus.NEW:
            ticket.first_responded_at = now  # answered in the old system
        if row["status"] == TicketStatus.WAITING:
            sla.clock_pause(ticket, now=now)
        for name in ("first_response_target", "resolution_target", "warn_before",
                     "first_response_due", "first_response_warn_at", "first_responded_at",
                     "resolution_due", "resolution_warn_at", "resolution_elapsed",
                     "clock_started_at"):  # fmt: skip
            row[name] = getattr(ticket, name)
        row["sla_policy_id"] = ticket.sla_policy_id


def _untouched(qs: QuerySet[Any]) -> QuerySet[Any]:
    """The imported tickets nothing refers to since (the run's own messages are removed
    before): a reply, a note, a survey, a complaint or a merge keeps the ticket."""
    if qs.model is not Ticket:
        return qs
    ids = list(qs.values_list("pk", flat=True))
    kept: set[int] = set()
    for rel in Ticket._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        attname = rel.field.attname  # type: ignore[union-attr]
        manager = rel.related_model._default_manager  # type: ignore[union-attr]
        kept.update(manager.filter(**{f"{attname}__in": ids}).values_list(attname, flat=True))
    return qs.filter(pk__in=[pk for pk in ids if pk not in kept])


KIND: Final = registry.ImportKind(
    key="tickets",
    label=_("历史工单"),
    spec=TICKETS,
    writer=TicketWriter,
    models=(TicketMessage, Ticket),
    also_writes=(TimelineEntry,),
    may_import=may_import,
    undo=registry.ImportUndo(removable=_untouched),
    messages={
        **CUSTOMER_REF_MESSAGES,
        "ticket_resolved_at_invalid": _(
            "解决时间“%(value)s”不对：不能早于创建时间，未解决的工单不能有解决时间。"
        ),
        "ticket_closed_at_invalid": _(
            "关闭时间“%(value)s”不对：不能早于解决时间，只有已关闭的工单才有关闭时间。"
        ),
        "ticket_status_change": _(
            "不能通过导入把工单“%(value)s”在处理中与已解决/已关闭之间改变，请在工单中操作。"
        ),
    },
    order=60,
)

registry.register_kind(KIND)
