"""``guanxi mail-in --host 127.0.0.1 --port 2525``: the service desk's SMTP receiver."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanxi.service.smtp import controller


class Command(BaseCommand):
    help = "Receive mail by SMTP into service tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, **options: Any) -> None:
        server = controller(options["host"], options["port"])
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: stop.set())
        server.start()
        self.stdout.write(f"mail-in listening on {options['host']}:{options['port']}")
        try:
            stop.wait()
        finally:
            server.stop()
