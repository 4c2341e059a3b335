"""``guanxi worker``: the django-tasks database worker, plus this product's duties of a
worker — its heartbeat (so job pages know a worker is alive), the pickup of work whose
worker died (``core.workers``) and the periodic jobs apps register (``core.periodic``).

Takes every option of ``db_worker``; the worker id is ``host:pid``, the same name a job
records for the process running it.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from guanxi.core import periodic, workers
from guanxi.core.jobs import worker_id


class Command(db_worker.Command):
    help = "Run a background worker (heartbeat, pickup of dead workers' jobs, periodic jobs)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # ``db_worker`` picks a random id once, at import; ours names the process.
        parser.set_defaults(worker_id=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only watches files and restarts the child, which
            # runs this again: the child is the worker.
            super().handle(*args, **{**options, "worker_id": options["worker_id"] or "reloader"})
            return
        name = options.get("worker_id") or worker_id()
        options["worker_id"] = name
        heartbeat = workers.start_heartbeat(worker=name, queues=options.get("queue_name") or "")
        stop_periodic = periodic.start()
        try:
            super().handle(*args, **options)
        finally:
            stop_periodic.set()
            workers.stop_heartbeat(heartbeat)
