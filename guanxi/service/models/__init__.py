"""Customer service models, by noun: tickets (with SLA policies, messages and raw mail)
here first; satisfaction, complaints and mailboxes in their own modules."""

from guanxi.service.models.complaints import (
    ROOT_CAUSE_MAX_DEPTH,
    CompensationKind,
    Complaint,
    RootCause,
)
from guanxi.service.models.desk import CannedReply, SavedView
from guanxi.service.models.satisfaction import (
    CSAT_RANGE,
    LOW_CSAT,
    NPS_RANGE,
    FollowUp,
    FollowUpOutcome,
    FollowUpPolicy,
    FollowUpReason,
    FollowUpStatus,
    NpsCampaign,
    Survey,
    SurveyKind,
)
from guanxi.service.models.tickets import (
    OPEN_STATUSES,
    PRIORITY_ORDER,
    InboundMail,
    InboundStatus,
    MessageKind,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "PRIORITY_ORDER",
    "InboundMail",
    "InboundStatus",
    "MessageKind",
    "SlaPolicy",
    "Ticket",
    "TicketCategory",
    "TicketChannel",
    "TicketMessage",
    "TicketPriority",
    "TicketStatus",
]
__all__ += [
    "CSAT_RANGE", "LOW_CSAT", "NPS_RANGE", "FollowUp", "FollowUpOutcome", "FollowUpPolicy",
    "FollowUpReason", "FollowUpStatus", "NpsCampaign", "Survey", "SurveyKind",
]  # fmt: skip
__all__ += [
    "ROOT_CAUSE_MAX_DEPTH", "CannedReply", "CompensationKind", "Complaint", "RootCause",
    "SavedView",
]  # fmt: skip
from guanxi.service.models.mailboxes import Mailbox, MailboxMessage  # noqa: E402

__all__ += ["Mailbox", "MailboxMessage"]
