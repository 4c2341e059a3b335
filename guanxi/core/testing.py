"""Test helpers shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from guanxi.core.models import AuditEntry

# Every model whose rows users create, change or delete. A write to one of these that
# leaves no AuditEntry fails ``assert_writes_audited``.
AUDITED_MODELS = (
    "customers.customer",
    "customers.contact",
    "customers.preference",
    "customers.communication",
    "orders.product",
    "orders.order",
    "customers.tag",
    "customers.customfielddefinition",
    "customers.customercollaborator",
    "accounts.team",
    "accounts.apitoken",
    "accounts.user",
    "accounts.rolescope",
)


@contextmanager
def assert_writes_audited() -> Iterator[list[tuple[str, str, str]]]:
    """Collect every save/delete of an audited model inside the block and, on exit, fail
    unless each one has a matching audit entry (model, object id, action)."""
    writes: list[tuple[str, str, str]] = []
    models = [apps.get_model(label) for label in AUDITED_MODELS]

    def on_save(sender, instance, created, raw=False, **kwargs):  # type: ignore[no-untyped-def]
        writes.append(
            (sender._meta.label_lower, str(instance.pk), "create" if created else "update")
        )

    def on_delete(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
        writes.append((sender._meta.label_lower, str(instance.pk), "delete"))

    for model in models:
        post_save.connect(on_save, sender=model, weak=False, dispatch_uid=f"audit-check-{model}")
        post_delete.connect(on_delete, sender=model, weak=False, dispatch_uid=f"audit-del-{model}")
    try:
        yield writes
    finally:
        for model in models:
            post_save.disconnect(sender=model, dispatch_uid=f"audit-check-{model}")
            post_delete.disconnect(sender=model, dispatch_uid=f"audit-del-{model}")
    missing = [
        w
        for w in writes
        if not AuditEntry.objects.filter(
            model=w[0], object_id=w[1], action__in=_actions_for(w[2])
        ).exists()
    ]
    assert not missing, f"writes without an audit entry: {missing}"


def _actions_for(kind: str) -> tuple[str, ...]:
    # A create followed by a tags/version save in the same service is covered by its create.
    return {"create": ("create",), "update": ("update", "create"), "delete": ("delete",)}[kind]
