"""What every app's REST API shares: the router base that lets only the staff side in (the
permission rule is the app's, from ``accounts.permissions``), the input base schemas, the
shared field types and the limit/offset paging of lists.

Input schemas forbid unknown fields and refuse NUL characters, so a bad request is a 422
naming the field before any service runs; services validate again (they are also called
from the UI, imports and tasks). Money leaves the API as a string with two decimals.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StrictInt,
    field_validator,
)

from guanxi.core.api.errors import ErrorOut
from guanxi.core.db.paging import Page, paginate
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.core.limits import MAX_ID as MAX_ID  # re-exported: schemas bound ids with it
from guanxi.core.limits import check_date
from guanxi.core.money import MAX_AMOUNT
from guanxi.core.text.cleaning import EARLIEST_DATE, LATEST_DATE

T = TypeVar("T")
M = TypeVar("M", bound=Model)
F = TypeVar("F", bound=Callable[..., Any])

EARLIEST = EARLIEST_DATE
LATEST = LATEST_DATE
MAX_OFFSET = 1_000_000  # deeper pages: narrow the filters instead


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _iso_text(value: Any) -> Any:
    # The schema says "string, format date(-time)": a number (pydantic would read 0 as
    # 1970-01-01, a Unix time) or a date in another spelling is refused, not reinterpreted.
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(_("须为 YYYY-MM-DD 格式的日期。"))
    return value


def _sane_date(value: dt.date) -> dt.date:
    return check_date(value)  # the one date range of forms, the API and imports


def _sane_datetime(value: dt.datetime) -> dt.datetime:
    _sane_date(value.date())
    return value


def _integral(value: Any) -> Any:
    # JSON has one number type and JSON Schema calls 27024.0 an integer, so the OpenAPI
    # document's "integer" admits it: take it as 27024. 27024.5, "27024" and true stay
    # refused (422), as the schema says.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: An integer in a JSON body (``StrictInt`` but for integral floats, see ``_integral``).
#: Bounds go before the validator (``Annotated[StrictInt, Field(ge=…), BeforeValidator(…)]``):
#: after it, pydantic documents them as "ge"/"le", which JSON Schema does not know.
Int = Annotated[StrictInt, BeforeValidator(_integral)]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID), BeforeValidator(_integral)]
#: An id in a query string, which is text there: "?customer_id=6" is 6 ("6x" and 0 are 422).
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
Date = Annotated[dt.date, BeforeValidator(_iso_text), AfterValidator(_sane_date)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_sane_datetime)]
MoneyIn = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)]
QuantityIn = Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"), decimal_places=2)]
DecimalOut = Annotated[
    Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="always")
]
Money = DecimalOut


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class NoNulSchema(Schema):
    """PostgreSQL text cannot hold NUL characters; refuse them here as a 422 naming the
    field instead of letting the database fail the request with a 500."""

    @field_validator("*", mode="after")
    @classmethod
    def _reject_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


class InputSchema(NoNulSchema):
    model_config = ConfigDict(extra="forbid")


class PageIn(Schema):
    limit: int = Field(25, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip.")


class PageOut(Schema, Generic[T]):
    count: int = Field(..., description="Rows matching, at most 10,000 (see count_capped).")
    count_capped: bool = Field(..., description="True when more than 10,000 rows match.")
    limit: int
    offset: int
    items: list[T]


RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]


class StaffRouter(Router):
    """A router whose every operation first asks ``allow(user)`` (an ``accounts.permissions``
    rule, passed in by the app: core imports no app) and answers 403 with ``message`` when
    it says no. One base, so no app forgets the check on a new operation."""

    def __init__(self, *, allow: Callable[[Any], bool], message: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)

        def check(view: F) -> F:
            @functools.wraps(view)
            def wrapper(request: HttpRequest, *args: Any, **kw: Any) -> Any:
                if not allow(request.user):
                    raise PermissionDenied(str(message))
                return view(request, *args, **kw)

            return wrapper  # type: ignore[return-value]

        self.add_decorator(check)


def actor(request: HttpRequest) -> Any:
    """The authenticated user (token or session) an operation acts for."""
    return request.user


def page_response(qs: QuerySet[Any], page: PageIn) -> dict[str, Any]:
    """One page of ``qs`` as ``PageOut`` (capped count)."""
    return page_out(paginate(qs, size=page.limit, offset=page.offset), page)


def page_out(result: Page, page: PageIn) -> dict[str, Any]:
    return {
        "count": result.count,
        "count_capped": result.count_capped,
        "limit": page.limit,
        "offset": page.offset,
        "items": result.items,
    }


def one(qs: QuerySet[M], pk: int, message: str) -> M:
    """The row ``pk`` of a scoped queryset, or 404 — the same for a hidden row."""
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(message)
    return obj


def sent_fields(payload: Schema) -> dict[str, Any]:
    """The fields the client sent (a PATCH changes only those)."""
    return payload.model_dump(exclude_unset=True)


# --- error answers ---------------------------------------------------------------------


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BODY_SOURCES = frozenset({"body", "form", "file"})


def error_statuses(operation: Any) -> set[int]:
    """The error answers an operation can give, from what it takes and does: a rule, so
    every operation, present and future, documents them without restating them.

    401 without valid credentials; 403 for a role that may not use it (portal users on the
    staff API, a write beyond the role); 422 for invalid parameters or body (and a service's
    field errors); 404 for a record in the path (or named in the body of a write) that does
    not exist or is out of the actor's scope; 400 and 409 for a write refused by a business
    rule or a stale ``version``; 400 and 413 for a body that is not JSON or is too large."""
    sources = {model.__ninja_param_source__ for model in operation.signature.models}
    statuses = {403}
    if operation.auth_callbacks:
        statuses.add(401)
    if sources:
        statuses.add(422)
    if "path" in sources:
        statuses.add(404)
    if set(operation.methods) & _WRITES:
        statuses |= {400, 404, 409, 422}
    if sources & _BODY_SOURCES:
        statuses |= {400, 413}
    return statuses


def document_errors(api: Any) -> None:
    """Add the error answers of ``error_statuses`` (body: ``core.api.errors.ErrorOut``, the
    one error schema) to every operation of ``api`` that does not declare them itself
    (``response={200: ThingOut, **errors(404)}`` declares more). Call once all routers are
    added; the answers themselves come from the API's exception handlers."""
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                for status in sorted(error_statuses(operation)):
                    if status not in operation.response_models:
                        operation.response_models[status] = operation._create_response_model(
                            ErrorOut
                        )
