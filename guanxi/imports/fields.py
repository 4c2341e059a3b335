"""What an import kind accepts: the field types, a field's spec (label, type, the headers
that suggest it, the words each choice understands) and a kind's spec (its fields).

Domain apps build their kinds' specs from these (``guanxi/<app>/importers``). Header
aliases are compared after :func:`header_key` (half-width, case-folded, without spaces,
punctuation and bracketed remarks such as ``（必填）``). A choice field accepts each
choice's Chinese label, its English label and its code, and the field's ``words``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Final

from django.utils import translation
from django.utils.functional import Promise

from guanxi.core.text.cleaning import ChoiceMatcher, to_halfwidth

# Field types: how a cell is parsed (see ``rows.py``). ``NUMBER`` is any decimal kept as
# text, ``CUSTOM_CHOICE`` one of a list of plain strings (``FieldSpec.choices``).
TEXT, CHOICE, DATE, DATETIME, PHONE, EMAIL, AMOUNT, QUANTITY, BOOL, USER, TAGS = (
    "text",
    "choice",
    "date",
    "datetime",
    "phone",
    "email",
    "amount",
    "quantity",
    "bool",
    "user",
    "tags",
)
NUMBER, CUSTOM_CHOICE = "number", "custom_choice"

#: ``((code, (word, …)), …)``: hashable, so a field spec is
ChoiceWords = tuple[tuple[str, tuple[str, ...]], ...]


def choice_words(words: Mapping[str, Sequence[str]]) -> ChoiceWords:
    """``{code: words}`` as ``FieldSpec.words``."""
    return tuple((code, tuple(names)) for code, names in words.items())


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise | str
    type: str = TEXT
    required: bool = False
    max_length: int | None = None
    aliases: tuple[str, ...] = ()
    choices: Any = None  # a TextChoices class (CHOICE) or a tuple of strings (CUSTOM_CHOICE)
    #: words accepted for a choice besides its labels and code
    words: ChoiceWords = ()


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: Promise | str
    fields: tuple[FieldSpec, ...]
    #: any one of these groups must be fully mapped (e.g. the customer by name or phone)
    required_any: tuple[tuple[str, ...], ...] = ()
    #: the error when none is: (the field it names, a message with ``%(labels)s``)
    required_any_error: tuple[str, Promise | str] | None = None
    by_name: dict[str, FieldSpec] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({f.name: f for f in self.fields})

    def extended(self, extra: Sequence[FieldSpec]) -> KindSpec:
        """This spec with ``extra`` fields after its own (fields known only at run time)."""
        if not extra:
            return self
        return KindSpec(
            self.kind,
            self.label,
            self.fields + tuple(extra),
            self.required_any,
            self.required_any_error,
        )


# --- choices ---------------------------------------------------------------------------


def _label_in(label: Any, language: str) -> str:
    with translation.override(language):
        return str(label)


@cache
def choice_matcher(choices: Any, words: ChoiceWords = ()) -> ChoiceMatcher:
    """The matcher of a TextChoices class: code, Chinese and English labels, ``words``."""
    synonyms = dict(words)
    names: dict[str, list[str]] = {}
    for code, label in zip(choices.values, choices.labels, strict=True):
        found = [_label_in(label, "zh-hans"), _label_in(label, "en"), *synonyms.get(code, ())]
        names[code] = list(dict.fromkeys(found))
    return ChoiceMatcher(names)


def choice_labels(choices: Any, codes: list[str] | None = None) -> list[str]:
    """Labels (in the active language) of ``codes`` or of every choice."""
    labels = dict(zip(choices.values, choices.labels, strict=True))
    return [str(labels[c]) for c in (codes if codes is not None else choices.values)]


# --- headers ---------------------------------------------------------------------------

_BRACKETS_RE: Final = re.compile(r"[(\[（【<《].*?[)\]）】>》]")
_HEADER_DROP_RE: Final = re.compile(r"[\s\W_]+")


def header_key(header: str) -> str:
    """``" 客户名称（必填）"`` → ``"客户名称"``; ``"E-Mail Address"`` → ``"emailaddress"``."""
    text = to_halfwidth(header).casefold()
    stripped = _BRACKETS_RE.sub("", text)
    return _HEADER_DROP_RE.sub("", stripped or text)


@lru_cache(maxsize=64)
def alias_index(spec: KindSpec) -> Mapping[str, str]:
    """Alias key → field name. The first field listing an alias wins, so a kind's own
    fields come before the ones added at run time (``KindSpec.extended``)."""
    index: dict[str, str] = {}
    for f in spec.fields:
        for alias in (f.name, *f.aliases):
            index.setdefault(header_key(alias), f.name)
    return index
