"""Import kinds and export lists: what each app lets users import and export.

The app that owns the records declares them in its ``importers`` module (or package):
``guanxi/<app>/importers.py`` calls :func:`register_kind` and :func:`register_export`, and
``ImportsConfig.ready()`` imports that module of every installed app. The engine
(``pipeline``, ``undo``, ``services``, ``exporting``, the API and the pages) asks this
registry for everything kind-specific and imports no domain app::

    from guanxi.imports import registry

    registry.register_kind(
        registry.ImportKind(
            key="products",
            label=_("产品"),
            spec=PRODUCTS,  # a fields.KindSpec
            writer=ProductWriter,  # a writers.Writer
            models=(Product,),
            may_import=permissions.can_manage_settings,
        )
    )

A kind's key is what ``ImportRun.kind`` and ``ImportMapping.kind`` store; the models keep
no list of kinds, so a new kind needs no migration of this app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.utils.functional import Promise

from guanxi.imports.columns import Column, Row
from guanxi.imports.fields import CHOICE, FieldSpec, KindSpec

if TYPE_CHECKING:
    from guanxi.imports.writers import Writer

__all__ = [
    "DocumentKind",
    "ExportList",
    "ImportKind",
    "ImportUndo",
    "choices_named",
    "documents",
    "export_list",
    "export_lists",
    "get_document",
    "get_export_list",
    "get_kind",
    "kind",
    "kinds",
    "register_document",
    "register_export",
    "register_kind",
    "row_messages",
    "unregister_export",
    "unregister_kind",
]

#: ``ImportRun.kind`` and ``ImportMapping.kind`` hold a key
MAX_KEY_LENGTH = 20


def _customer_id_attr(obj: Model) -> int | None:
    value = getattr(obj, "customer_id", None)
    return int(value) if value is not None else None


@dataclass(frozen=True)
class ImportUndo:
    """What undo does for a kind beyond the engine's rules.

    The engine removes the records the run created that nobody changed since (their
    ``version`` counts only the run's own updates) and that no record of another kind
    refers to (a customer that has gained contacts, orders or communications is kept), and
    restores each updated field that still holds the imported value; all audited."""

    #: narrows the created records undo may remove (a queryset of one of ``models``): keep
    #: those that gained later work the engine cannot see (a customer's preferences)
    removable: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None
    #: restores what the ledger recorded besides model fields (a customer's tags):
    #: ``(obj, before, after)`` with those keys only; answers the audit changes it made
    restore_extra: (
        Callable[[Model, dict[str, Any], dict[str, Any]], dict[str, list[Any]]] | None
    ) = None
    #: called before a restored record is saved (its derived fields: search keys)
    before_save: Callable[[Model], None] | None = None
    #: called after a restored record was saved and audited, with the actor (a timeline
    #: entry)
    after_restore: Callable[[Model, Any], None] | None = None
    #: the customer an audit row about the record concerns
    customer_id: Callable[[Model], int | None] = _customer_id_attr
    #: wraps the undo of one chunk, inside its transaction: ``(created, updated, actor)``
    #: with the chunk's ledger (ids by label; ``[label, pk, before, after]`` rows) → a
    #: context manager; what the records feed (a project's schedule) is refreshed on exit
    chunk_scope: (
        Callable[[Mapping[str, list[int]], Sequence[list[Any]], Any], AbstractContextManager[Any]]
        | None
    ) = None


@dataclass(frozen=True)
class ImportKind:
    """One kind of import: a file's rows become records of ``models``."""

    key: str
    label: Promise | str
    #: the fields a file's columns can be mapped to
    spec: KindSpec
    writer: type[Writer]
    #: the records it creates and updates (what the ledger names), in the order undo
    #: removes them: children before parents
    models: tuple[type[Model], ...]
    #: whether a staff user may import this kind (the system may import every kind)
    may_import: Callable[[Any], bool]
    #: other tables its chunks write rows of (timeline entries); with ``models`` and the
    #: audit log, a large import refreshes their planner statistics
    also_writes: tuple[type[Model], ...] = ()
    #: fields known only at run time (custom fields an admin defined), after ``spec``'s
    extra_fields: Callable[[], Sequence[FieldSpec]] | None = None
    undo: ImportUndo = field(default_factory=ImportUndo)
    #: messages of the row error codes its writer gives (``messages.row_message``)
    messages: Mapping[str, Promise | str] = field(default_factory=dict)
    order: int = 100

    def current_spec(self) -> KindSpec:
        """The fields as of now: ``spec``'s, then ``extra_fields``'."""
        if self.extra_fields is None:
            return self.spec
        return self.spec.extended(self.extra_fields())

    @property
    def labels(self) -> tuple[str, ...]:
        """The ledger labels (``app.model``) of ``models``, in undo order."""
        return tuple(m._meta.label_lower for m in self.models)


@dataclass(frozen=True)
class ExportList:
    """One exportable list: its rows are the actor's scoped rows, read as ``values()``."""

    key: str
    label: Promise | str
    #: ``(actor, params)`` → the rows the actor may see, filtered by ``params``; raises
    #: ``ValidationFailed`` naming a bad filter
    queryset: Callable[[Any, Mapping[str, Any]], QuerySet[Any]]
    columns: tuple[Column, ...]
    #: adds to each row what ``values()`` cannot read (a customer's tags), batch by batch
    rows: Callable[[Iterator[Row]], Iterator[Row]] | None = None
    #: the filters ``queryset`` takes, for the API's description
    filters: str = ""
    order: int = 100
    #: the URL name of the list page this export comes from (the way back from an error)
    list_url: str = ""


_KINDS: dict[str, ImportKind] = {}
_EXPORTS: dict[str, ExportList] = {}


def register_kind(kind: ImportKind) -> ImportKind:
    if len(kind.key) > MAX_KEY_LENGTH:
        raise ImproperlyConfigured(f"import kind key {kind.key!r} is longer than 20")
    if kind.key in _KINDS and _KINDS[kind.key] != kind:
        raise ImproperlyConfigured(f"import kind {kind.key!r} is registered already")
    _KINDS[kind.key] = kind
    return kind


def unregister_kind(key: str) -> None:
    _KINDS.pop(key, None)


def register_export(export: ExportList) -> ExportList:
    if export.key in _EXPORTS and _EXPORTS[export.key] != export:
        raise ImproperlyConfigured(f"export list {export.key!r} is registered already")
    _EXPORTS[export.key] = export
    return export


def unregister_export(key: str) -> None:
    _EXPORTS.pop(key, None)


def get_kind(key: str) -> ImportKind | None:
    return _KINDS.get(key)


def kind(key: str) -> ImportKind:
    """The kind ``key``; ``KeyError`` when no app registered it."""
    return _KINDS[key]


def kinds() -> list[ImportKind]:
    return sorted(_KINDS.values(), key=lambda k: (k.order, k.key))


def get_export_list(key: str) -> ExportList | None:
    return _EXPORTS.get(key)


def export_list(key: str) -> ExportList:
    return _EXPORTS[key]


def export_lists() -> list[ExportList]:
    return sorted(_EXPORTS.values(), key=lambda e: (e.order, e.key))


def row_messages() -> dict[str, Promise | str]:
    """Every kind's row error messages, by code (the first kind naming a code wins)."""
    out: dict[str, Promise | str] = {}
    for k in kinds():
        for code, message in k.messages.items():
            out.setdefault(code, message)
    return out


@dataclass(frozen=True)
class DocumentKind:
    """A whole-document import and export (a project plan in MS Project XML): the file is
    one tree of records read at once — no columns, mapping, chunks or undo — so it is not
    an :class:`ImportKind`; the ``import`` and ``export`` commands offer it beside them.
    The owning app's functions check the actor, read or write the whole file in one
    transaction, and answer the summary line the command prints last."""

    key: str
    label: Promise | str
    #: ``(actor, path, options)`` → summary line; raises ``DomainError`` naming the problem
    import_file: Callable[[Any, str, Mapping[str, Any]], str]
    #: ``(actor, record id, path)`` → summary line
    export_file: Callable[[Any, str, str], str] | None = None
    #: the import's own command-line options: ``(flag, help)``, their values in ``options``
    options: tuple[tuple[str, str], ...] = ()


_DOCUMENTS: dict[str, DocumentKind] = {}


def register_document(kind: DocumentKind) -> DocumentKind:
    if kind.key in _KINDS or (kind.key in _DOCUMENTS and _DOCUMENTS[kind.key] != kind):
        raise ImproperlyConfigured(f"import kind {kind.key!r} is registered already")
    _DOCUMENTS[kind.key] = kind
    return kind


def get_document(key: str) -> DocumentKind | None:
    return _DOCUMENTS.get(key)


def documents() -> list[DocumentKind]:
    return sorted(_DOCUMENTS.values(), key=lambda k: k.key)


def choices_named(name: str) -> Any:
    """The TextChoices class called ``name`` of a registered kind's choice field (a stored
    row error names the class of the choices it lists), or ``None``."""
    for k in kinds():
        for f in k.spec.fields:
            if f.type == CHOICE and getattr(f.choices, "__name__", None) == name:
                return f.choices
    return None
