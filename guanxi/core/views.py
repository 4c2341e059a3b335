from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from guanxi.core.navigation import home_url
from guanxi.core.selectors import job_get


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """``/`` and the page after login: the first page of the user's menu (staff: "my day";
    portal users: the portal)."""
    url = home_url(request)
    if url is None:  # a deactivated account, or a role no app offers a page to
        raise PermissionDenied
    return HttpResponseRedirect(url)


@login_required
def job_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    """The progress component: polled by htmx every second until the job finishes."""
    job = job_get(actor=request.user, job_id=job_id)
    if job is None:
        raise Http404
    return render(request, "core/job_progress.html", {"job": job})
