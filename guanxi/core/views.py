from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from guanxi.core.selectors import job_get


@login_required
def job_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    """The progress component: polled by htmx every second until the job finishes."""
    job = job_get(actor=request.user, job_id=job_id)
    if job is None:
        raise Http404
    return render(request, "core/job_progress.html", {"job": job})
