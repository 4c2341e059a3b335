"""``guanxi analytics_recompute``: recompute every customer's value now, in this process.

For cron (nightly), e.g. ``15 2 * * * cd /srv/guanxi && .venv/bin/guanxi analytics_recompute
--quiet``. The run shows in the dashboard like one started from the UI, as a job with
progress.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.analytics import services
from guanxi.analytics.models import AnalyticsRun
from guanxi.core.jobs import job_create, run_job


class Command(BaseCommand):
    help = "Recompute customer value (F1-F8) for every customer and store a dated snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", help="end of the observation window, YYYY-MM-DD (default: today)"
        )
        parser.add_argument("--quiet", action="store_true", help="print nothing but errors")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(f"--as-of: {exc}") from exc
        quiet = options["quiet"]

        def report(pct: float, message: str = "") -> None:
            if not quiet:
                self.stdout.write(f"{pct:5.0f}%  {message}")

        job = job_create(kind=services.JOB_KIND, actor=None, params={"source": "command"})
        run = AnalyticsRun.objects.create(job=job)

        def work(progress: Any) -> dict[str, Any]:
            def both(pct: float, message: str = "") -> None:
                progress(pct, message)
                report(pct, message)

            done = services.analytics_recompute(actor=None, report=both, as_of=as_of, run_id=run.pk)
            return services.run_summary(done)

        run_job(job.id, work)
        run.refresh_from_db()
        if not quiet:
            self.stdout.write(
                f"run {run.pk}: {run.customers} customers in {run.duration_s} s; "
                f"classes {run.class_counts}"
            )
            if run.prediction_message:
                self.stdout.write(f"predictions: {run.prediction_message}")
