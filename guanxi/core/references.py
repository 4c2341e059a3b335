"""Names of referenced records for history and timeline displays, read within the reader's
scope.

A change row like ``owner: 2 → 5`` shows the referenced records' names (王经理 → 李经理).
Each app registers, for its models, a resolver that returns the names *the reader may see*;
a model nobody registered, or an id outside the reader's scope, shows as ``#id`` — never a
name read past the scope rules (``core`` cannot know them; the owning app does).

    register_reference("customers.customer", customer_names)

where ``customer_names(actor, ids) -> {id: name}`` reads through the app's scoped selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from django.db import models

Resolver = Callable[[Any, Collection[Any]], Mapping[Any, str]]

_RESOLVERS: dict[str, Resolver] = {}


def register_reference(model_label: str, resolver: Resolver) -> None:
    """``model_label`` is ``app_label.model_name`` in lower case (``Model._meta.label_lower``)."""
    if model_label in _RESOLVERS and _RESOLVERS[model_label] is not resolver:
        raise ValueError(f"a reference resolver for {model_label} is already registered")
    _RESOLVERS[model_label] = resolver


def registered_references() -> frozenset[str]:
    return frozenset(_RESOLVERS)


def reference_names(
    actor: Any, wanted: Mapping[type[models.Model], Collection[Any]]
) -> dict[type[models.Model], Mapping[Any, str]]:
    """For each model, the names of those ids ``actor`` may see (one resolver call per model)."""
    names: dict[type[models.Model], Mapping[Any, str]] = {}
    for model, ids in wanted.items():
        resolver = _RESOLVERS.get(model._meta.label_lower)
        names[model] = resolver(actor, list(ids)) if resolver is not None and ids else {}
    return names
