"""附件 (attachments)."""
