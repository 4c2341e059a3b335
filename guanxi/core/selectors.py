from __future__ import annotations

import uuid
from typing import Any

from guanxi.core.models import Job


def job_get(*, actor: Any, job_id: Any) -> Job | None:
    """A job is visible to the user who started it and to admins."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        return None
    if not getattr(actor, "is_authenticated", False):
        return None
    qs = Job.objects.filter(pk=pk)
    if not (actor.is_superuser or getattr(actor, "role", "") == "admin"):
        qs = qs.filter(created_by=actor)
    return qs.first()
