"""``guanxi export <kind> ID FILE``: write one record tree of a whole-document kind (a
project plan as MS Project XML) to a file.

    guanxi export project-plan 42 plan.xml --as wanglei

Without ``--as`` the export acts as the system. The last line of output is the kind's
summary (``project=ID tasks=N links=N``).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.core.errors import DomainError, ValidationFailed


class Command(BaseCommand):
    help = "Export a record tree (a project plan as MS Project XML) to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        from guanxi.imports import registry

        parser.add_argument(
            "kind", choices=[d.key for d in registry.documents() if d.export_file is not None]
        )
        parser.add_argument("id", help="the record's id (a project id)")
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="act as this user (default: system)")

    def handle(self, *args: Any, **opts: Any) -> None:
        from guanxi.accounts.models import User
        from guanxi.imports import registry

        actor = None
        if opts["username"]:
            actor = User.objects.filter(username=opts["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {opts['username']!r}")
        document = registry.get_document(opts["kind"])
        assert document is not None and document.export_file is not None
        try:
            summary = document.export_file(actor, opts["id"], opts["file"])
        except ValidationFailed as exc:
            raise CommandError("; ".join(m for msgs in exc.errors.values() for m in msgs)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"{opts['file']}: {exc.strerror or exc}") from exc
        self.stdout.write(summary)
        sys.stdout.flush()
