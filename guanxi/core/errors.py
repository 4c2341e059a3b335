"""Domain errors: raised by services and selectors, mapped once to HTTP by the API and views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls, *args)
    BaseException.__init__(error, *args)
    error.__dict__.update(state)
    return error


class PicklableError(Exception):
    """An exception that survives pickling whatever its ``__init__`` takes. Errors raised
    in a worker cross a process pipe; the default pickling calls ``cls(*self.args)``, which
    fails (or silently rebuilds a different error) as soon as ``__init__`` takes other
    arguments than the message it passes on. This rebuilds from the attributes instead."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class DomainError(PicklableError):
    """Base of every business-rule error. ``status`` is the HTTP status it maps to."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            detail["field"] = self.field
        return detail


class ValidationFailed(DomainError):
    """One or more fields are invalid; ``errors`` maps field name to messages."""

    status = 422
    code = "validation_error"

    def __init__(self, errors: Mapping[str, Sequence[str] | str]) -> None:
        self.errors: dict[str, list[str]] = {
            k: [str(v)] if isinstance(v, str) else [str(m) for m in v] for k, v in errors.items()
        }
        first_field = next(iter(self.errors), None)
        first = self.errors[first_field][0] if first_field else ""
        super().__init__(f"{first_field}: {first}" if first_field else first, field=first_field)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "errors": [
                {"field": field, "message": msg}
                for field, msgs in self.errors.items()
                for msg in msgs
            ],
        }


class NotFound(DomainError):
    """The record does not exist *or the actor may not see it* — the two are indistinguishable
    on purpose so ids of other people's records leak nothing."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """A stale ``version`` or a uniqueness clash."""

    status = 409
    code = "conflict"
