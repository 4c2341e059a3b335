"""The API root: ``/api/v1/``. Routers live in each app's ``api.py``; auth and the mapping
of domain errors to HTTP happen once here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from guanxi.accounts.services import token_authenticate
from guanxi.core.audit import audit_source
from guanxi.core.errors import DomainError
from guanxi.core.models import AuditSource


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class SessionAuth(APIKeyHeader):
    """Session cookie auth (with CSRF), for the web UI calling the API."""

    param_name = "X-CSRFToken"

    def __call__(self, request: HttpRequest) -> Any:
        # Without a session there is nothing to protect from CSRF: answer 401, not a CSRF
        # 403, so a client with a bad or revoked token learns that its token is the problem.
        if not request.user.is_authenticated:
            return None
        return django_auth(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None


api = NinjaAPI(
    title="Guanxi API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
    description=(
        "Guanxi (关系) REST API. Authenticate with `Authorization: Bearer <token>` "
        "(create a personal token under 账户 → API 令牌) or a browser session. Lists are "
        "paginated with `limit`/`offset`; writes of editable records take the record's "
        "`version` and answer 409 when it is stale. A record you may not see answers 404, "
        "exactly as one that does not exist; customer-portal accounts get 403 on every "
        "staff endpoint."
    ),
)


def _field_from_loc(loc: list[Any]) -> str:
    # Spelled like the services name fields (``lines[0].quantity``), so one field has one name.
    field = ""
    for part in loc:
        if part in ("body", "payload", "query", "path", "data"):
            continue
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += f".{part}" if field else str(part)
    return field or "body"


def _as_api_source(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Writes made through the API are audited with source "api". Set per request and
    reset after it: a worker thread serves UI requests next, with the same context."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with audit_source(AuditSource.API):
            return run(request, *args, **kwargs)

    return wrapper


api.add_decorator(_as_api_source, mode="view")


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": _field_from_loc(list(err.get("loc", []))), "message": err.get("msg", "")}
        for err in exc.errors
    ]
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return api.create_response(
        request,
        {"code": "validation_error", "message": message, "errors": errors},
        status=422,
    )


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "unauthenticated", "message": _("需要登录或有效的 API 令牌。")},
        status=401,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, {"code": "error", "message": str(exc)}, status=exc.status_code
    )


def _register_routers() -> None:
    from guanxi.accounts.api import router as accounts_router
    from guanxi.analytics.api import router as analytics_router
    from guanxi.core.api import router as jobs_router
    from guanxi.customers.api import router as customers_router
    from guanxi.customers.dedup_api import router as dedup_router
    from guanxi.customers.import_api import router as import_export_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/analytics", analytics_router)
    api.add_router("/jobs", jobs_router)
    api.add_router("/", customers_router)
    api.add_router("/", dedup_router)
    api.add_router("/", import_export_router)


_register_routers()
