"""``guanxi import <kind> FILE``: import any registered kind (customers, contacts, orders,
communications, …).

    guanxi import customers 客户.csv --on-duplicate update --as zhangwei
    guanxi import orders orders.xlsx --sheet 订单 --mapping 旧系统订单 --dry-run

Without ``--as`` the import acts as the system (audited as "system"); without
``--mapping`` it uses the suggested mapping. Running the same command again after the
process was killed resumes the import from its checkpoint; running it on a file that was
already imported changes nothing. The last line of output is the summary
``created=N updated=N skipped=N failed=N``.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.core.io.tabular import TabularError


class Command(BaseCommand):
    help = "Import customers, contacts, orders or communications from a CSV/XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        from guanxi.imports import registry

        parser.add_argument(
            "kind",
            choices=[k.key for k in registry.kinds()] + [d.key for d in registry.documents()],
        )
        parser.add_argument("file")
        # Whole-document kinds (a project plan) bring their own options.
        for document in registry.documents():
            for flag, help_text in document.options:
                if flag not in parser._option_string_actions:
                    parser.add_argument(flag, help=help_text)
        parser.add_argument("--mapping", help="name of a saved mapping template")
        parser.add_argument(
            "--on-duplicate", choices=["update", "skip", "create"], default="update"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the whole file and report; write nothing"
        )
        parser.add_argument("--as", dest="username", help="act as this user (default: system)")
        parser.add_argument("--encoding", help="CSV encoding (default: detected)")
        parser.add_argument("--delimiter", help="CSV delimiter: , ; tab | (default: detected)")
        parser.add_argument("--sheet", help="XLSX sheet name (default: the first)")
        parser.add_argument("--chunk-size", type=int, default=None)
        parser.add_argument("--errors", help="write the error report to this .csv/.xlsx file")

    def handle(self, *args: Any, **opts: Any) -> None:
        from guanxi.accounts.models import User
        from guanxi.imports.messages import file_message
        from guanxi.imports.pipeline import CHUNK_ROWS, import_dry_run, import_execute
        from guanxi.imports.services import import_local_file

        actor = None
        if opts["username"]:
            actor = User.objects.filter(username=opts["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {opts['username']!r}")
        from guanxi.imports import registry

        document = registry.get_document(opts["kind"])
        if document is not None:
            self._import_document(document, actor, opts)
            return
        try:
            run, resumed = import_local_file(
                actor=actor,
                kind=opts["kind"],
                path=opts["file"],
                encoding=opts["encoding"],
                delimiter=opts["delimiter"],
                sheet=opts["sheet"],
                on_duplicate=opts["on_duplicate"],
                mapping_name=opts["mapping"],
            )
        except ValidationFailed as exc:
            raise CommandError("; ".join(m for msgs in exc.errors.values() for m in msgs)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        columns = ", ".join(f"{h}→{f}" for h, f in zip(run.headers, run.mapping, strict=False) if f)
        self.stderr.write(
            f"import #{run.pk} {run.kind} · {run.file_format} {run.encoding} · {columns}"
        )
        try:
            if opts["dry_run"]:
                preview = import_dry_run(run=run, actor=actor, limit=None, shown=0)
                from guanxi.imports.messages import row_message

                for row, issue in preview.errors[:50]:
                    self.stderr.write(
                        f"row {row} {issue.column}: {row_message(issue.code, issue.params)}"
                    )
                if not resumed:
                    run.delete()
                counts = preview.counts
            else:
                if resumed:
                    self.stderr.write(f"resuming after row {run.checkpoint_row}")

                def report(pct: float, message: str) -> None:
                    self.stderr.write(f"{pct:5.1f}% {message}")

                run = import_execute(
                    run=run, actor=actor, report=report, chunk_rows=opts["chunk_size"] or CHUNK_ROWS
                )
                counts = {
                    "created": run.created_count,
                    "updated": run.updated_count,
                    "skipped": run.skipped_count,
                    "failed": run.failed_count,
                }
                if run.failed_count:
                    self._print_errors(run, opts["errors"])
        except TabularError as exc:
            raise CommandError(file_message(exc)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"created={counts['created']} updated={counts['updated']} "
            f"skipped={counts['skipped']} failed={counts['failed']}"
        )
        sys.stdout.flush()

    def _import_document(self, document: Any, actor: Any, opts: dict[str, Any]) -> None:
        """A whole-document kind: read the file, let its app write it in one go, print its
        summary line last."""
        options = {flag.lstrip("-").replace("-", "_"): opts.get(flag.lstrip("-").replace("-", "_"))
                   for flag, _help in document.options}  # fmt: skip
        try:
            summary = document.import_file(actor, opts["file"], options)
        except ValidationFailed as exc:
            raise CommandError("; ".join(m for msgs in exc.errors.values() for m in msgs)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"{opts['file']}: {exc.strerror or exc}") from exc
        self.stdout.write(summary)
        sys.stdout.flush()

    def _print_errors(self, run: Any, path: str | None) -> None:
        from guanxi.imports.report import report_csv, report_rows, report_xlsx

        for i, (row, column, _value, message) in enumerate(report_rows(run)):
            if i >= 50:
                self.stderr.write("…")
                break
            self.stderr.write(f"row {row} {column}: {message}")
        if path:
            if path.lower().endswith(".xlsx"):
                report_xlsx(run, path)
            else:
                with open(path, "wb") as fh:
                    for block in report_csv(run):
                        fh.write(block)
            self.stderr.write(f"error report: {path}")
