"""审批 (approvals)."""
