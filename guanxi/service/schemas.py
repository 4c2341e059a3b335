"""Request and response shapes of the service API. Length limits come from the models."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import StrictBool, StrictInt, StrictStr, field_validator

from guanxi.core.api.bases import Id, InputSchema, Money
from guanxi.core.limits import limit
from guanxi.service.models import Mailbox, Ticket

Channel = Literal["phone", "email", "portal", "wechat", "visit"]
Category = Literal["inquiry", "complaint", "repair", "suggestion"]
Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "waiting", "resolved", "closed"]
Queue = Literal["mine", "team", "unassigned", "breaching", "unknown", "all"]
SlaState = Literal["none", "ok", "warning", "paused", "breached", "met"]


class TicketOut(Schema):
    id: int
    subject: str
    channel: Channel
    category: Category
    priority: Priority
    status: Status
    customer_id: int | None
    contact_id: int | None
    requester_name: str
    requester_email: str
    assignee_id: int | None
    team_id: int | None
    sla_policy_id: int | None
    sla_state: SlaState
    first_response_due: dt.datetime | None
    first_responded_at: dt.datetime | None
    resolution_due: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    spam_at: dt.datetime | None
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_sla_state(obj: Any) -> str:
        from guanxi.service.services.sla import sla_state

        return sla_state(obj, now=timezone.now())


class MessageOut(Schema):
    id: int
    kind: Literal["incoming", "reply", "note"]
    author_id: int | None
    from_email: str
    body: str
    message_id: str
    in_reply_to: str
    created_at: dt.datetime


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(obj.messages.order_by("created_at", "id"))


class TicketFiltersIn(Schema):
    queue: Queue = "all"
    q: str = Field("", max_length=100)
    status: Literal[Status, ""] = ""
    priority: Literal[Priority, ""] = ""
    category: Literal[Category, ""] = ""
    channel: Literal[Channel, ""] = ""
    customer: int | None = Field(None, ge=1, le=2**63 - 1)


class TicketCreateIn(InputSchema):
    subject: StrictStr = Field(..., min_length=1, max_length=limit(Ticket, "subject"))
    customer_id: Id | None = Field(None, description="Required unless you read every customer.")
    contact_id: Id | None = None
    channel: Channel = "phone"
    category: Category = "inquiry"
    priority: Priority = "normal"
    assignee_id: Id | None = None
    body: StrictStr = Field("", max_length=100_000, description="The customer's request.")


class TicketUpdateIn(InputSchema):
    version: Id
    subject: StrictStr = Field(None, min_length=1, max_length=limit(Ticket, "subject"))
    channel: Channel = None
    category: Category = None
    priority: Priority = None
    assignee_id: Id | None = Field(None, description="null: unassign.")


class TransitionIn(InputSchema):
    status: Status
    version: Id


class ReplyIn(InputSchema):
    body: StrictStr = Field(..., min_length=1, max_length=100_000)
    internal: StrictBool = Field(False, description="An internal note the customer never sees.")
    status: Status | None = Field(None, description="Move the ticket in the same write.")


class TicketLinkCustomerIn(InputSchema):
    version: Id
    customer_id: Id
    contact_id: Id | None = Field(None, description="One of the customer's contacts.")
    create_contact: StrictBool = Field(
        False, description="Make a contact of the customer from the sender's name and address."
    )


class TicketSpamIn(InputSchema):
    version: Id


# --- mailboxes (IMAP polling settings; admins) -----------------------------------------------

ENV_NAME_PATTERN = r"^[A-Z][A-Z0-9_]{0,63}$"
_ENV_HELP = (
    "Name of the workers' environment variable holding the password (the password itself "
    "is never stored or answered)."
)


_TEAM_HELP = "Department (queue) a new ticket opened by mail from this mailbox is put on."
_DEFAULT_HELP = "What a new ticket opened by mail from this mailbox gets; empty: the desk's."


class MailboxIn(InputSchema):
    name: StrictStr = Field(..., min_length=1, max_length=limit(Mailbox, "name"))
    host: StrictStr = Field(..., min_length=1, max_length=limit(Mailbox, "host"))
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 993
    use_ssl: StrictBool = True
    username: StrictStr = Field(..., min_length=1, max_length=limit(Mailbox, "username"))
    password_env: StrictStr = Field(..., pattern=ENV_NAME_PATTERN, description=_ENV_HELP)
    folder: StrictStr = Field("INBOX", min_length=1, max_length=limit(Mailbox, "folder"))
    active: StrictBool = True
    default_team_id: Id | None = Field(None, description=_TEAM_HELP)
    default_priority: Literal[Priority, ""] = Field("", description=_DEFAULT_HELP)
    default_category: Literal[Category, ""] = Field("", description=_DEFAULT_HELP)


class MailboxUpdateIn(InputSchema):
    version: Id
    name: StrictStr = Field(None, min_length=1, max_length=limit(Mailbox, "name"))
    host: StrictStr = Field(None, min_length=1, max_length=limit(Mailbox, "host"))
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = None
    use_ssl: StrictBool = None
    username: StrictStr = Field(None, min_length=1, max_length=limit(Mailbox, "username"))
    password_env: StrictStr = Field(None, pattern=ENV_NAME_PATTERN, description=_ENV_HELP)
    folder: StrictStr = Field(None, min_length=1, max_length=limit(Mailbox, "folder"))
    active: StrictBool = Field(None, description="false: stop polling this mailbox.")
    default_team_id: Id | None = Field(None, description=_TEAM_HELP)
    default_priority: Literal[Priority, ""] | None = Field(None, description=_DEFAULT_HELP)
    default_category: Literal[Category, ""] | None = Field(None, description=_DEFAULT_HELP)


class MailboxOut(Schema):
    id: int
    name: str
    host: str
    port: int
    use_ssl: bool
    username: str
    password_env: str
    folder: str
    active: bool
    default_team_id: int | None
    default_priority: str
    default_category: str
    last_polled_at: dt.datetime | None
    last_error: str
    version: int


# --- satisfaction (C3) and follow-up visits (C4) --------------------------------------------

SurveyKindLit = Literal["csat", "nps"]
ResultGroup = Literal["owner", "team", "customer", "category"]
FollowUpStatusFilter = Literal["pending", "done", "overdue"]
FollowUpReasonLit = Literal["closed", "low_score"]
FollowUpOutcomeLit = Literal["satisfied", "needs_action", "unreachable", "declined"]


class SurveyOut(Schema):
    id: int
    kind: SurveyKindLit
    ticket_id: int | None
    campaign_id: int | None
    customer_id: int
    contact_id: int | None
    owner_id: int | None
    team_id: int | None
    category: Literal[Category, ""]
    sent_at: dt.datetime
    expires_at: dt.datetime
    answered_at: dt.datetime | None
    score: int | None
    comment: str


class SurveyFiltersIn(Schema):
    kind: Literal[SurveyKindLit, ""] = ""
    answered: bool | None = None


class ResultFiltersIn(Schema):
    kind: SurveyKindLit = "csat"
    group: ResultGroup = "owner"
    date_from: dt.date | None = Field(None, ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    date_to: dt.date | None = Field(None, ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))


class ResultRowOut(Schema):
    key: int | str | None = Field(None, description="Owner, team or customer id, or category.")
    label: str = ""
    answered: int
    score: float | None = Field(None, description="CSAT % (share of 4–5) or NPS (−100…100).")
    average: float | None = None
    satisfied: int | None = None
    dissatisfied: int | None = None
    promoters: int | None = None
    detractors: int | None = None


class TrendRowOut(ResultRowOut):
    month: str = Field(..., description="YYYY-MM, Asia/Shanghai.")


class ResultsOut(Schema):
    kind: SurveyKindLit
    group: ResultGroup
    start: dt.date
    end: dt.date
    sent: int
    total: ResultRowOut
    rows: list[ResultRowOut]
    trend: list[TrendRowOut]


class FollowUpOut(Schema):
    id: int
    reason: FollowUpReasonLit
    customer_id: int
    ticket_id: int | None
    survey_id: int | None
    owner_id: int | None
    team_id: int | None
    due_date: dt.date
    overdue: bool
    status: Literal["pending", "done"]
    outcome: Literal[FollowUpOutcomeLit, ""]
    note: str
    done_at: dt.datetime | None
    done_by_id: int | None
    version: int

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.status == "pending" and obj.due_date < timezone.localdate())


class FollowUpFiltersIn(Schema):
    status: Literal[FollowUpStatusFilter, ""] = ""
    reason: Literal[FollowUpReasonLit, ""] = ""
    owner: int | None = Field(None, ge=1, le=2**63 - 1)
    customer: int | None = Field(None, ge=1, le=2**63 - 1)


class OwnerCountOut(Schema):
    owner_id: int | None
    name: str
    pending: int
    overdue: int
    done: int


class FollowUpRecordIn(InputSchema):
    outcome: FollowUpOutcomeLit
    note: StrictStr = Field("", max_length=4000)
    version: Id


class NpsCampaignIn(InputSchema):
    name: StrictStr = Field(..., min_length=1, max_length=100)
    value_class: Literal[
        "", "platinum", "gold", "silver", "development", "adjust", "insufficient"
    ] = ""
    owner_id: Id | None = None
    tag_id: Id | None = None


class NpsCampaignOut(Schema):
    id: int
    name: str
    value_class: str
    owner_id: int | None
    tag_id: int | None
    sent_at: dt.datetime | None
    recipients: int


# --- complaints and the desk ---------------------------------------------------------------

CompensationKindLit = Literal["", "refund", "voucher", "service", "other"]
CompensationIn = Annotated[
    Decimal, Field(ge=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)
]


class RootCauseOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: str
    depth: int
    active: bool
    order: int
    version: int


class RootCauseIn(InputSchema):
    name: StrictStr = Field(..., min_length=1, max_length=100)
    parent_id: Id | None = None
    order: Annotated[StrictInt, Field(ge=0, le=32767)] = 0
    active: StrictBool = True


class RootCauseUpdateIn(InputSchema):
    version: Id
    name: StrictStr = Field(None, min_length=1, max_length=100)
    parent_id: Id | None = Field(None, description="null: a top-level cause.")
    order: Annotated[StrictInt, Field(ge=0, le=32767)] = None
    active: StrictBool = None


class ComplaintIn(InputSchema):
    version: Id | None = Field(None, description="Required when the record exists.")
    root_cause_id: Id | None = None
    resolution: StrictStr = Field("", max_length=5000)
    compensation_amount: CompensationIn = Decimal("0")
    compensation_kind: CompensationKindLit = Field("", description="Required with an amount.")
    department_id: Id | None = None
    product_id: Id | None = None


class ComplaintOut(Schema):
    id: int
    ticket_id: int
    root_cause_id: int | None
    resolution: str
    compensation_amount: Money
    compensation_kind: CompensationKindLit
    department_id: int | None
    product_id: int | None
    version: int
    created_at: dt.datetime


class RateOut(Schema):
    key: int = Field(..., description="The customer's or the product's id.")
    name: str
    complaints: int
    orders: int = Field(..., description="Confirmed orders (with the product) in scope.")
    rate: float | None = Field(..., description="Complaints per order; null without orders.")
    cost: Money = Field(..., description="Compensation paid.")


class ComplaintReportOut(Schema):
    by_customer: list[RateOut]
    by_product: list[RateOut]


class CannedReplyIn(InputSchema):
    title: StrictStr = Field(..., min_length=1, max_length=100)
    body: StrictStr = Field(
        ..., min_length=1, max_length=10_000,
        description="Fields: {{customer}}, {{contact}}, {{ticket}}, {{agent}}.",
    )  # fmt: skip
    shared: StrictBool = Field(False, description="Shared with the desk (admins, managers).")


class CannedReplyUpdateIn(InputSchema):
    version: Id
    title: StrictStr = Field(None, min_length=1, max_length=100)
    body: StrictStr = Field(None, min_length=1, max_length=10_000)
    shared: StrictBool = None


class CannedReplyOut(Schema):
    id: int
    title: str
    body: str
    shared: bool
    owner_id: int
    version: int


class CannedRenderedOut(Schema):
    text: str


class TicketMergeIn(InputSchema):
    source_id: Id = Field(..., description="The duplicate, merged into the ticket in the path.")
    confirm_other_customer: StrictBool = False


class BulkItemIn(InputSchema):
    id: Id
    version: Id


class BulkIn(InputSchema):
    action: Literal["assign", "priority", "close"]
    items: list[BulkItemIn] = Field(..., min_length=1, max_length=200)
    assignee_id: Id | None = Field(None, description="For ``assign``.")
    priority: Priority | None = Field(None, description="For ``priority``.")


class BulkRowOut(Schema):
    ticket_id: int
    ok: bool
    message: str


class SavedViewIn(InputSchema):
    name: StrictStr = Field(..., min_length=1, max_length=60)
    filters: TicketFiltersIn
    is_default: StrictBool = False

    @field_validator("filters", mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        # Ninja's Schema would build an empty filter set from ``null``: refuse it as documented.
        if not isinstance(value, dict | TicketFiltersIn):
            raise ValueError(_("必须是对象。"))
        return value


class SavedViewUpdateIn(InputSchema):
    is_default: StrictBool


class SavedViewOut(Schema):
    id: int
    name: str
    filters: dict[str, str]
    is_default: bool


class VersionQuery(Schema):
    version: int = Field(..., ge=1, le=2**31 - 1)
