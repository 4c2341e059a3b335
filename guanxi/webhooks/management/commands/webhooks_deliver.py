"""``guanxi webhooks_deliver [--loop SECONDS]``: send every due webhook delivery now.

The worker wakes each subscription's queue by itself (on commit, and at a retry's time);
this is the safety net for a wake-up that was lost (a worker killed mid-send) — run it from
cron, or with ``--loop`` beside the workers."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanxi.webhooks.services import deliveries_sweep


class Command(BaseCommand):
    help = "Send due webhook deliveries (once, or every --loop seconds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0, help="repeat every N seconds")

    def handle(self, *args: Any, loop: float = 0, **options: Any) -> None:
        while True:
            delivered = deliveries_sweep()
            if options["verbosity"] > 0:
                self.stdout.write(f"delivered {delivered}")
            if not loop:
                return
            time.sleep(loop)
