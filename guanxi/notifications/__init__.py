"""通知与提醒 (notifications)."""
