"""Which records take attachments, and who may see and change them.

The attachments app sits below the apps whose records carry files (customers, service,
projects, sales): it imports none of them. Each registers its attachable records here in
its ``AppConfig.ready()`` with the callbacks that resolve a record *for the actor* — the
same scope rules as the record's own pages — and, optionally, what to do after a file was
added or removed (a timeline entry). A download or a list is then scoped exactly like the
record it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet

from guanxi.core.errors import NotFound

if TYPE_CHECKING:
    from guanxi.attachments.models import Attachment

# (actor, record id) → the record; raises core.errors.NotFound when the actor may not see
# it (or it does not exist) and, for ``get_for_change``, PermissionDenied when the actor
# may see it but not change it. ``get_for_change`` runs inside the write's transaction and
# should lock the record.
Resolve = Callable[[Any, int], Model]
# (actor, record, attachment), inside the write's transaction.
Reaction = Callable[[Any, Model, "Attachment"], None]


@dataclass(frozen=True)
class Attachable:
    kind: str  # the URL and API name of the record type: "customer", "ticket", …
    model: type[Model]
    get_for_read: Resolve
    get_for_change: Resolve
    # The customer the record belongs to, for the audit trail's customer history.
    customer_id: Callable[[Model], int | None] = lambda record: None
    on_added: Reaction | None = None
    on_removed: Reaction | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_ATTACHABLES: dict[str, Attachable] = {}


def register_attachable(attachable: Attachable) -> None:
    """Add (or replace, on a second ``ready()``) an attachable record type."""
    _ATTACHABLES[attachable.kind] = attachable


def attachable(kind: str) -> Attachable:
    """The registered record type ``kind``; NotFound for an unknown one (a bad URL)."""
    found = _ATTACHABLES.get(kind)
    if found is None:
        from django.utils.translation import gettext as _

        raise NotFound(_("记录不存在。"))
    return found


def attachable_for_label(label: str) -> Attachable | None:
    return next((a for a in _ATTACHABLES.values() if a.label == label), None)


def kinds() -> list[str]:
    return sorted(_ATTACHABLES)


# --- sharing with the customer -----------------------------------------------------------------

# customer id → the ids of that customer's records of one type that the customer may see
# (its tickets, its contracts, its projects), as a queryset of primary keys.
CustomerRecords = Callable[[int], QuerySet[Any]]


@dataclass(frozen=True)
class SharedKind:
    """An attachable record type whose files staff may share with the record's customer.

    Registered by the app that shows shared files to customers (the portal), which knows
    which of a customer's records the customer may see; a type not registered here has no
    share toggle (a cost entry's receipt stays internal)."""

    kind: str  # a registered ``Attachable.kind``
    # Its queryset's model is the record type (``Attachment.target_model`` holds its label).
    records_of_customer: CustomerRecords


_SHARED: dict[str, SharedKind] = {}


def register_shared_kind(shared: SharedKind) -> None:
    _SHARED[shared.kind] = shared


def shared_kinds() -> list[SharedKind]:
    return [_SHARED[kind] for kind in sorted(_SHARED)]


def is_shareable(kind: str) -> bool:
    return kind in _SHARED
