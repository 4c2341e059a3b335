"""Webhook (webhooks)."""
