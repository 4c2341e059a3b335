"""What a job page says about the workers behind a job (``core/job_progress.html``)."""

from __future__ import annotations

from typing import Any

from django import template

from guanxi.core.jobs import job_stalled
from guanxi.core.workers import workers_alive, workers_required

register = template.Library()

#: ``job_worker_state``: no worker is alive to run the job / its worker died (a live one
#: queues it again) / nothing to say
NO_WORKER, STALLED, FINE = "no_worker", "stalled", ""


@register.simple_tag
def job_worker_state(job: Any) -> str:
    """At most one query for a job that has not finished, none for one that has."""
    if job is None or job.is_finished or not workers_required():
        return FINE
    if not workers_alive():
        return NO_WORKER
    return STALLED if job_stalled(job) else FINE
