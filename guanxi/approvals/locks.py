"""Row locks of the approval engine: every write to a request holds its row first, so
two approvers (or an approver and the withdrawing submitter) are served one after the
other and the second sees what the first did."""

from __future__ import annotations

from guanxi.approvals.models import ApprovalRequest


def request_lock(request_id: int) -> ApprovalRequest | None:
    """The request, locked for the rest of the transaction (None: it does not exist)."""
    return ApprovalRequest.objects.select_for_update().filter(pk=request_id).first()
