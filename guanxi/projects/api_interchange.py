"""The projects API's interchange, load and feed operations (issue 14 items 5–7), mounted
under ``/api/v1/projects/`` by ``api.py``: import a plan file (multipart MSPDI XML) as a
new project, download a project's plan, the weekly resource load, and the caller's
calendar feeds. Thin over ``interchange``, ``load`` and ``feeds``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Form, Query, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, StringConstraints

from guanxi.core.api.bases import InputSchema, RecordId, StaffRouter, actor
from guanxi.core.limits import MAX_ID
from guanxi.projects import feeds, interchange, load, mspdi, selectors
from guanxi.projects.models import FeedKind

router = StaffRouter(
    tags=["projects"],
    allow=selectors.can_use,
    message=gettext_lazy("你的角色不能使用项目。"),
)

XML = {
    "responses": {
        200: {
            "description": "The project's plan and computed schedule as MS Project XML (MSPDI).",
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class PlanImportOut(Schema):
    project_id: int
    tasks: int
    links: int


@router.post("/interchange/plan-imports", response={201: PlanImportOut})
def plan_import(
    request: HttpRequest,
    file: File[UploadedFile],
    customer_id: Form[Annotated[int, Field(ge=1, le=MAX_ID)]],
    name: Form[Annotated[str, StringConstraints(max_length=200)] | None] = None,
) -> Status[Any]:
    """Upload an MSPDI file (multipart): a new project on the customer with the file's
    task tree, durations, milestones, links (type and lag) and the computed schedule. All
    or nothing; a hostile (entities, DTD), broken, oversized or cyclic file answers 422
    naming the problem (field ``file``)."""
    if (file.size or 0) > mspdi.MAX_BYTES:
        raise mspdi.MspdiError(
            _("文件太大（最多 %(max)s MB）。") % {"max": mspdi.MAX_BYTES // 1024 // 1024}
        )
    result = interchange.plan_import(
        actor=actor(request), data=file.read(), customer_id=customer_id, name=name or ""
    )
    return Status(
        201, {"project_id": result.project.pk, "tasks": result.tasks, "links": result.links}
    )


@router.get("/{project_id}/plan.xml", response={200: None}, openapi_extra=XML)
def plan_export(request: HttpRequest, project_id: RecordId) -> HttpResponse:
    """The project's plan with its last computed schedule (Start/Finish, Early/Late
    Start/Finish, TotalSlack, FreeSlack, Critical) as MS Project XML."""
    project, data = interchange.plan_export(actor=actor(request), project_id=project_id)
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{interchange.plan_file_name(project)}"'
    )
    return response


# --- resource load --------------------------------------------------------------------------


class LoadIn(InputSchema):
    start: dt.date | None = Field(
        None,
        ge=dt.date(2000, 1, 1),
        le=dt.date(2100, 12, 31),
        description="a day of the first week (default: today)",
    )
    weeks: int = Field(12, ge=1, le=load.MAX_WEEKS)
    user_id: int | None = Field(None, ge=1, le=MAX_ID)


class WeekLoadOut(Schema):
    week: dt.date
    hours: float
    capacity: float
    percent: int
    over: bool
    projects: dict[int, float]


class PersonLoadOut(Schema):
    user_id: int
    name: str
    peak: int
    over_weeks: int
    weeks: list[WeekLoadOut]


@router.get("/resources/load", response=list[PersonLoadOut])
def resource_load(request: HttpRequest, params: Query[LoadIn]) -> list[dict[str, Any]]:
    """Each person's planned hours per week across the projects the caller reads, against
    the week's working hours (holidays and 调休 counted); ``over`` above 100 %."""
    from django.utils import timezone

    people = load.load_by_person(
        actor=actor(request), start=params.start or timezone.localdate(), weeks=params.weeks,
        user_ids=[params.user_id] if params.user_id else None,
    )  # fmt: skip
    return [
        {
            "user_id": p.user_id, "name": p.name, "peak": p.peak, "over_weeks": p.over_weeks,
            "weeks": [
                {"week": w.week, "hours": float(w.hours), "capacity": float(w.capacity),
                 "percent": w.percent, "over": w.over,
                 "projects": {k: float(v) for k, v in w.projects.items()}}
                for w in p.weeks
            ],
        }
        for p in people
    ]  # fmt: skip


# --- calendar feeds -------------------------------------------------------------------------


class FeedIn(InputSchema):
    kind: FeedKind
    project_id: int | None = Field(None, ge=1, le=MAX_ID)


class FeedOut(Schema):
    id: int
    kind: str
    project_id: int | None
    token_prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class FeedCreatedOut(FeedOut):
    url: str = Field(description="the secret URL; shown only in this answer")


def _feed(feed: Any) -> dict[str, Any]:
    return {
        "id": feed.pk, "kind": feed.kind, "project_id": feed.project_id,
        "token_prefix": feed.token_prefix, "created_at": feed.created_at,
        "last_used_at": feed.last_used_at,
    }  # fmt: skip


@router.get("/calendar/feeds", response=list[FeedOut])
def feed_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's live calendar feeds (their URLs are not shown again)."""
    return [_feed(f) for f in feeds.feed_list(actor=actor(request))[: feeds.MAX_FEEDS]]


@router.post("/calendar/feeds", response={201: FeedCreatedOut})
def feed_create(request: HttpRequest, payload: FeedIn) -> Status[Any]:
    """A new iCalendar feed (``user``: my tasks, milestones and visits; ``project``: one
    project's milestones and due dates); the answer holds its secret URL, once."""
    feed, raw = feeds.feed_create(
        actor=actor(request), kind=payload.kind, project_id=payload.project_id
    )
    url = request.build_absolute_uri(f"/projects/feeds/{raw}.ics")
    return Status(201, {**_feed(feed), "url": url})


@router.post("/calendar/feeds/{feed_id}/revoke", response=FeedOut)
def feed_revoke(request: HttpRequest, feed_id: RecordId) -> dict[str, Any]:
    """Revoke a feed: its URL answers 404 from now on."""
    return _feed(feeds.feed_revoke(actor=actor(request), feed_id=feed_id))
