"""The error answers of the REST API, for operations to document in the OpenAPI schema.

``config/api.py`` maps every ``core.errors.DomainError`` (and request validation) to this
body once; an operation lists the statuses it can answer with ``errors(403, 404, 422)``
next to its success response: ``response={201: ThingOut, **errors(403, 404, 422)}``.
"""

from __future__ import annotations

from ninja import Schema


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str  # "validation_error", "not_found", "forbidden", "conflict", "unauthenticated", …
    message: str
    field: str | None = None
    errors: list[FieldErrorOut] | None = None


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``{status: ErrorOut}`` for each status, plus 401 (every operation needs a login)."""
    return {status: ErrorOut for status in (401, *statuses)}
