from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from guanxi.core.errors import NotFound
from guanxi.core.selectors import job_get

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    progress: int
    message: str
    result: dict[str, Any]
    errors: list[Any]


@router.get("/{job_id}", response=JobOut)
def job_detail(request: HttpRequest, job_id: str) -> object:
    job = job_get(actor=request.user, job_id=job_id)
    if job is None:
        raise NotFound("job not found")
    return job
