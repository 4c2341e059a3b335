"""Document types: what the apps above register so their records can be approved.

An app (sales for contracts and discounts, projects for change requests, …) calls
:func:`register_document` in its ``AppConfig.ready()``::

    register_document(DocumentType(
        key="discount", label=_("折扣"), model=Discount,
        amount_field="amount",                       # or fields=(ConditionField(...), ...)
        can_submit=lambda actor, doc: ...,            # its own accounts.permissions rule
        can_read=lambda actor, doc: ...,
        url_of=lambda doc: doc.get_absolute_url(),
        customer_of=lambda doc: doc.customer_id,
        on_approved=..., on_rejected=...,             # called in the deciding transaction
        on_event=...,                                 # e.g. the customer's timeline entry
    ))

and ``approvals.services.approval_submit(actor=…, document_type="discount",
object_id=…)`` from its own service. The engine never imports the app: everything it
needs of the document comes through these callables. ``on_event`` is how an approval
reaches a customer's timeline: the registering app (above customers) writes the entry
with ``customers.timeline.timeline_add`` under a timeline kind it registered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from guanxi.approvals.models import ApprovalRequest


class FieldKind:
    NUMBER = "number"  # amounts, quantities, percentages: compared as Decimal
    TEXT = "text"  # codes, choices: compared as text (equal / not equal)


@dataclass(frozen=True)
class ConditionField:
    """A field of the document that flow conditions may test ("amount > 500000")."""

    name: str
    label: Any
    kind: str = FieldKind.NUMBER

    def parse(self, raw: Any) -> Decimal | str | None:
        """``raw`` as the value this field compares (``None`` for a value that is not)."""
        if raw is None:
            return None
        if self.kind == FieldKind.NUMBER:
            if isinstance(raw, bool):
                return None
            try:
                number = Decimal(str(raw).strip().replace(",", ""))
            except (InvalidOperation, ValueError):
                return None
            return number if number.is_finite() else None
        return str(raw)


@dataclass(frozen=True)
class ApprovalEvent:
    """What happened to a request, for a document type's ``on_event`` hook: ``action``
    is an ``ActionKind`` value, ``step_name`` the step it concerned (if any)."""

    request: ApprovalRequest
    document: Model
    action: str
    actor: Any
    comment: str = ""
    step_name: str = ""
    on_behalf_of: Any = None


Hook = Callable[[ApprovalEvent], None]


def _no(actor: Any, document: Model) -> bool:
    return False


@dataclass(frozen=True)
class DocumentType:
    key: str
    label: Any
    model: type[Model]
    fields: Sequence[ConditionField] = ()
    # A shorthand for the common case: one NUMBER condition field labelled "金额".
    amount_field: str | None = None
    # Who may submit a document for approval, and who may read its approval because they
    # may read the document (participants always may). The app's own permission rules.
    can_submit: Callable[[Any, Model], bool] = _no
    can_read: Callable[[Any, Model], bool] = _no
    title_of: Callable[[Model], str] = str
    url_of: Callable[[Model], str] | None = None
    customer_of: Callable[[Model], int | None] | None = None
    # The values of the condition fields (default: the attributes of that name).
    values_of: Callable[[Model], Mapping[str, Any]] | None = None
    on_approved: Hook | None = None
    on_rejected: Hook | None = None
    on_event: Hook | None = None
    all_fields: tuple[ConditionField, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        declared = list(self.fields)
        if self.amount_field and all(f.name != self.amount_field for f in declared):
            declared.insert(0, ConditionField(self.amount_field, _("金额"), FieldKind.NUMBER))
        object.__setattr__(self, "all_fields", tuple(declared))

    def condition_field(self, name: str) -> ConditionField | None:
        return next((f for f in self.all_fields if f.name == name), None)

    def values(self, document: Model) -> dict[str, Any]:
        """The document's condition fields as plain JSON (numbers as strings)."""
        raw = (
            dict(self.values_of(document))
            if self.values_of is not None
            else {f.name: getattr(document, f.name, None) for f in self.all_fields}
        )
        plain: dict[str, Any] = {}
        for name, value in raw.items():
            if isinstance(value, Decimal):
                plain[name] = str(value)
            elif value is None or isinstance(value, bool | int | float | str):
                plain[name] = value
            else:
                plain[name] = str(value)
        return plain


_DOCUMENTS: dict[str, DocumentType] = {}


def register_document(document_type: DocumentType) -> DocumentType:
    """Register (or replace, on an app reload) a document type."""
    _DOCUMENTS[document_type.key] = document_type
    return document_type


def unregister_document(key: str) -> None:
    _DOCUMENTS.pop(key, None)


def get_document_type(key: str) -> DocumentType | None:
    return _DOCUMENTS.get(key)


def document_types() -> list[DocumentType]:
    return sorted(_DOCUMENTS.values(), key=lambda d: d.key)


def document_type_label(key: str) -> Any:
    found = _DOCUMENTS.get(key)
    return found.label if found is not None else key


def document_type_choices() -> list[tuple[str, Any]]:
    return [(d.key, d.label) for d in document_types()]
