"""``guanxi mail-poll``: take the new mail of every active company mailbox by IMAP into the
service desk once (``--mailbox ID`` for one). The worker does the same every two minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.service.models import Mailbox
from guanxi.service.services.mailboxes import mailbox_poll, mailboxes_poll


class Command(BaseCommand):
    help = "Poll the service desk's IMAP mailboxes once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", type=int, help="id of one mailbox")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["mailbox"] is not None:
            if not Mailbox.objects.filter(pk=options["mailbox"]).exists():
                raise CommandError(f"no mailbox {options['mailbox']}")
            results = [mailbox_poll(mailbox_id=options["mailbox"])]
        else:
            results = mailboxes_poll()
        failed = False
        for r in results:
            if not r.claimed:
                self.stdout.write(f"mailbox {r.mailbox_id}: busy or inactive")
            elif r.error:
                failed = True
                self.stderr.write(f"mailbox {r.mailbox_id}: {r.error}")
            else:
                self.stdout.write(f"mailbox {r.mailbox_id}: {r.taken} new, {r.skipped} skipped")
        if failed:
            raise CommandError("some mailboxes could not be polled")
