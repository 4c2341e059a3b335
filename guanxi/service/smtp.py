"""The SMTP receiver of the service desk (``guanxi mail-in``): aiosmtpd on a host and
port; each message accepted is handed to ``services.mail.mail_receive`` in a worker
thread (the ORM is synchronous) and answered 250 once it is stored."""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.controller import Controller
from django.db import close_old_connections

# Room for a 20 MB attachment in base64 (×4/3) with the rest of the message.
DATA_SIZE_LIMIT = 40 * 1024 * 1024


def _receive(raw: bytes, envelope_from: str) -> int:
    from guanxi.service.services.mail import mail_receive

    close_old_connections()
    try:
        return mail_receive(raw, envelope_from=envelope_from).pk
    finally:
        close_old_connections()


class DeskHandler:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        sender = envelope.mail_from or "<>"
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, _receive, raw, sender)
        except Exception:  # not stored: let the sending server retry later
            return "451 Requested action aborted: local error in processing"
        return "250 Message accepted"


def controller(host: str, port: int) -> Controller:
    return Controller(DeskHandler(), hostname=host, port=port, data_size_limit=DATA_SIZE_LIMIT)
