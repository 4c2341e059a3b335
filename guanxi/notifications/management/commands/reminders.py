"""``guanxi reminders run``: run the scheduled reminder rules now; ``guanxi reminders list``
shows the rules and their last runs; ``guanxi reminders deliver`` sends due e-mail / IM
deliveries (retries included).

The worker (``guanxi worker``) does the same every few minutes; this is for cron or a
manual run. Safe beside running workers: a rule runs once per day across all of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.notifications.delivery import deliveries_send
from guanxi.notifications.models import RuleState
from guanxi.notifications.registry import rules
from guanxi.notifications.reminders import reminders_run


class Command(BaseCommand):
    help = "Run reminder rules (run), list them (list) or send pending deliveries (deliver)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["run", "list", "deliver"])
        parser.add_argument("--date", help="the day to run for, YYYY-MM-DD (default: today)")
        parser.add_argument("--rule", action="append", default=[], help="only this rule")
        parser.add_argument(
            "--force", action="store_true", help="run even if it already ran for the day"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            states = {s.key: s for s in RuleState.objects.all()}
            for rule in rules():
                s = states.get(rule.key)
                last = f"{s.last_day} due={s.last_due} new={s.last_created}" if s else "never"
                self.stdout.write(f"{rule.key:24} {last}")
            return
        if options["action"] == "deliver":
            total = 0
            while sent := deliveries_send():
                total += sent
            self.stdout.write(f"sent {total}")
            return
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date: {exc}") from exc
        try:
            results = reminders_run(today=day, only=options["rule"], force=options["force"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        for r in results:
            if r.ran:
                self.stdout.write(f"{r.key:24} due={r.due} new={r.created} in {r.seconds:.2f}s")
            else:
                self.stdout.write(f"{r.key:24} skipped ({r.reason})")
