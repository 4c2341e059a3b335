"""The duplicates and merge API (``/api/v1/``): start a scan, read the review queue,
dismiss a pair, merge two customers, read the merge history, undo a merge.

Thin like the rest of the API: parse, call one selector or service, return. A pair or merge
the actor may not see answers 404, as for one that does not exist; portal users get 403.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictInt, StringConstraints

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core.api.bases import MAX_ID, InputSchema, PageIn, PageOut
from guanxi.core.api.jobs import JobOut
from guanxi.core.errors import PermissionDenied
from guanxi.customers.duplicates import scan, selectors, services

router = Router(tags=["duplicates"])


def _staff_only(view: Any) -> Any:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not permissions.is_staff_actor(request.user):
            raise PermissionDenied(_("客户门户用户无权使用员工端 API。"))
        return view(request, *args, **kwargs)

    return wrapper


router.add_decorator(_staff_only)

RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Version = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=80)]


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class CandidateCustomerOut(Schema):
    id: int
    name: str
    kind: str
    phone: str
    email: str
    province: str
    city: str
    owner_id: int | None
    version: int


class CandidateOut(Schema):
    id: int
    score: int = Field(..., description="0–100; higher is more likely the same customer.")
    reasons: list[str] = Field(
        ...,
        description=(
            "phone, email, name, name_pinyin, contact_phone, contact_email, "
            "name_conflicting (same name, both phones and e-mails differ)"
        ),
    )
    status: str
    customer_a: CandidateCustomerOut
    customer_b: CandidateCustomerOut
    created_at: dt.datetime
    updated_at: dt.datetime


class CandidateFiltersIn(Schema):
    status: str = Field("open", pattern="^(open|dismissed)$")


class MergeIn(InputSchema):
    survivor_id: Id = Field(..., description="The customer that stays.")
    merged_id: Id = Field(..., description="The customer merged into it and removed.")
    survivor_version: Version = Field(..., description="The survivor's version you read.")
    merged_version: Version = Field(..., description="The merged customer's version you read.")
    fields: dict[FieldName, Id] = Field(
        default_factory=dict,
        max_length=200,
        description=(
            "Which customer's value survives, per field: name, kind, status, owner, industry, "
            "size, region (province and city), address, phone, email, website, source, since, "
            "notes, custom_fields.<key>; the value is survivor_id or merged_id. A field not "
            "given keeps the survivor's value unless that is empty."
        ),
    )


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    survivor_name: str
    merged_name: str
    choices: dict[str, int]
    moved: dict[str, int] = Field(..., description="Records moved, per model.")
    dropped: dict[str, int] = Field(
        ..., description="Records removed because the survivor had the same (kept for undo)."
    )
    actor_label: str
    created_at: dt.datetime
    undone: bool
    undone_at: dt.datetime | None

    @staticmethod
    def resolve_moved(obj: Any) -> dict[str, int]:
        return dict(obj.moved_counts)

    @staticmethod
    def resolve_dropped(obj: Any) -> dict[str, int]:
        return {label: len(rows) for label, rows in obj.dropped.items()}

    @staticmethod
    def resolve_undone(obj: Any) -> bool:
        return bool(obj.is_undone)


def _page(result: Any, page: PageIn) -> dict[str, Any]:
    from guanxi.core.db.paging import paginate

    pg = paginate(result, size=page.limit, offset=page.offset)
    return {
        "count": pg.count,
        "count_capped": pg.count_capped,
        "limit": page.limit,
        "offset": page.offset,
        "items": pg.items,
    }


@router.post("/duplicates/scan", response={202: JobOut})
def duplicate_scan(request: HttpRequest) -> Status[Any]:
    """Start a scan of the customers you may see; poll ``/jobs/{id}`` for its progress."""
    return Status(202, scan.duplicate_scan_start(actor=_actor(request)))


@router.get("/duplicates", response=PageOut[CandidateOut])
def duplicate_list(
    request: HttpRequest, filters: Query[CandidateFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """Candidate pairs whose customers you may both see, highest score first."""
    qs = selectors.candidate_queue(actor=_actor(request), status=filters.status)
    return _page(qs, page)


@router.get("/duplicates/{candidate_id}", response=CandidateOut)
def duplicate_detail(request: HttpRequest, candidate_id: RecordId) -> Any:
    return selectors.candidate_get(actor=_actor(request), candidate_id=candidate_id)


@router.post("/duplicates/{candidate_id}/dismiss", response=CandidateOut)
def duplicate_dismiss(request: HttpRequest, candidate_id: RecordId) -> Any:
    """Not duplicates: the pair leaves the queue and later scans skip it."""
    services.candidate_dismiss(actor=_actor(request), candidate_id=candidate_id)
    return selectors.candidate_get(actor=_actor(request), candidate_id=candidate_id)


@router.post("/merges", response={201: MergeOut})
def merge_create(request: HttpRequest, payload: MergeIn) -> Status[Any]:
    """Merge ``merged_id`` into ``survivor_id``: every record of the merged customer moves
    to the survivor and the merged customer is removed. Undo with ``/merges/{id}/undo``."""
    record = services.customer_merge(
        actor=_actor(request),
        survivor_id=payload.survivor_id,
        merged_id=payload.merged_id,
        survivor_version=payload.survivor_version,
        merged_version=payload.merged_version,
        fields=payload.fields,
    )
    return Status(201, record)


@router.get("/merges", response=PageOut[MergeOut])
def merge_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    """Merges whose surviving customer you may see, newest first."""
    return _page(selectors.merge_history(actor=_actor(request)), page)


@router.get("/merges/{merge_id}", response=MergeOut)
def merge_detail(request: HttpRequest, merge_id: RecordId) -> Any:
    return selectors.merge_get(actor=_actor(request), merge_id=merge_id)


@router.post("/merges/{merge_id}/undo", response=MergeOut)
def merge_undo(request: HttpRequest, merge_id: RecordId) -> Any:
    """Restore the merged customer exactly; 409 naming what changed if the survivor or a
    moved record has been changed since the merge."""
    return services.customer_merge_undo(actor=_actor(request), merge_id=merge_id)
