from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from guanxi.accounts import services
from guanxi.accounts.models import ApiToken
from guanxi.core.errors import PermissionDenied

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None = Field(..., description="The user's department (部门); ADR 0003.")
    manager_id: int | None = Field(..., description="The user's direct manager (直属上级).")
    language: str


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    days: int | None = Field(None, ge=1, le=3650, description="Lifetime in days; none = no expiry")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The secret; shown only in this response.")


def _staff(request: HttpRequest):  # type: ignore[no-untyped-def]
    from guanxi.accounts.permissions import is_staff_actor

    if not is_staff_actor(request.user):
        raise PermissionDenied("portal users have no access to the staff API")
    return request.user


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> object:
    return _staff(request)


@router.get("/tokens", response=list[TokenOut])
def token_list(request: HttpRequest) -> object:
    return list(ApiToken.objects.filter(user=_staff(request)))


@router.post("/tokens", response={201: TokenCreatedOut})
def token_create(request: HttpRequest, payload: TokenIn) -> object:
    token, raw = services.token_create(actor=_staff(request), name=payload.name, days=payload.days)
    token.token = raw  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/tokens/{token_id}", response=TokenOut)
def token_revoke(request: HttpRequest, token_id: int) -> object:
    return services.token_revoke(actor=_staff(request), token_id=token_id)
