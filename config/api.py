"""The API root: ``/api/v1/``. Routers live in each app's ``api.py``; auth and the mapping
of domain errors to HTTP happen once here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from guanxi.accounts.services import token_authenticate
from guanxi.core.api.bases import document_errors
from guanxi.core.api.docs import LocalSwagger
from guanxi.core.audit import audit_source
from guanxi.core.errors import DomainError
from guanxi.core.messages import pydantic_message
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
    docs=LocalSwagger(),
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
        {"field": _field_from_loc(list(err.get("loc", []))), "message": pydantic_message(err)}
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


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(
        request,
        {
            "code": "too_large",
            "message": _("请求体过大（上限 %(size)s）。")
            % {"size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},
        },
        status=413,
    )


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # Django answers these with an HTML 400 page; an API client gets JSON like every error.
    return api.create_response(request, {"code": "invalid", "message": _("请求无效。")}, status=400)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, {"code": "not_found", "message": _("记录不存在。")}, status=404
    )


def _register_routers() -> None:
    from guanxi.accounts.api import router as accounts_router
    from guanxi.analytics.api import router as analytics_router
    from guanxi.approvals.api import router as approvals_router
    from guanxi.attachments.api import router as attachments_router
    from guanxi.contracts.api import router as contracts_router
    from guanxi.core.api.jobs import router as jobs_router
    from guanxi.customers.api import router as customers_router
    from guanxi.customers.duplicates.api import router as duplicates_router
    from guanxi.imports.api import router as import_export_router
    from guanxi.notifications.api import router as notifications_router
    from guanxi.orders.api import router as orders_router
    from guanxi.portal.api import router as portal_router
    from guanxi.projects.api import router as projects_router
    from guanxi.projects.api_kpi import router as projects_kpi_router
    from guanxi.sales.api import router as sales_router
    from guanxi.service.api import router as service_router
    from guanxi.webhooks.api import router as webhooks_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/analytics", analytics_router)
    api.add_router("/jobs", jobs_router)
    api.add_router("/", customers_router)
    api.add_router("/", duplicates_router)
    api.add_router("/", orders_router)
    api.add_router("/sales", sales_router)
    api.add_router("/service", service_router)
    api.add_router("/", import_export_router)
    api.add_router("/", notifications_router)
    api.add_router("/webhooks", webhooks_router)
    api.add_router("/", attachments_router)
    api.add_router("/approvals", approvals_router)
    api.add_router("/contracts", contracts_router)
    # Before the projects router: its "/{project_id}" would take "/portfolio".
    api.add_router("/projects", projects_kpi_router)
    api.add_router("/projects", projects_router)
    api.add_router("/portal", portal_router)


_register_routers()
document_errors(api)
