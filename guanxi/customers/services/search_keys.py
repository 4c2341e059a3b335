"""Maintenance: rebuilding every customer's derived search keys as a job."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.customers.models import Customer
from guanxi.customers.services.keys import refresh_customer_keys


def customer_rebuild_search_keys(*, report: Any = None, chunk_size: int = 2000) -> dict[str, Any]:
    """Recompute the derived search keys of every customer, chunk by chunk (one transaction
    each), reporting progress. Keys are derived data, not user data: no audit rows."""
    total = Customer.objects.count()
    done = changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                Customer.objects.filter(pk__gt=last_id)
                .order_by("pk")
                .only("id", "name", "email", "phone", "search_text", "name_pinyin",
                      "name_initials", "name_key", "phone_key")[:chunk_size]
            )  # fmt: skip
            if not rows:
                break
            dirty = []
            for customer in rows:
                before = (customer.search_text, customer.name_pinyin, customer.name_initials,
                          customer.name_key, customer.phone_key)  # fmt: skip
                try:
                    refresh_customer_keys(customer)
                except ValidationFailed:
                    customer.phone_key = ""
                after = (customer.search_text, customer.name_pinyin, customer.name_initials,
                         customer.name_key, customer.phone_key)  # fmt: skip
                if before != after:
                    dirty.append(customer)
            Customer.objects.bulk_update(
                dirty, ["search_text", "name_pinyin", "name_initials", "name_key", "phone_key"]
            )
        changed += len(dirty)
        done += len(rows)
        last_id = rows[-1].pk
        if report is not None:
            report(done * 100 / max(total, 1), _("已处理 %(done)s / %(total)s") % {
                "done": done, "total": total})  # fmt: skip
    return {"customers": done, "changed": changed}


def search_keys_rebuild_start(*, actor: Any) -> Any:
    """Start the rebuild as a background job (admin only); returns the Job."""
    from guanxi.core.jobs import enqueue_on_commit, job_create
    from guanxi.customers.tasks import rebuild_search_keys

    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以执行此操作。"))
    with transaction.atomic():
        job = job_create(kind="search_keys", actor=actor)
        enqueue_on_commit(rebuild_search_keys, str(job.pk))
    return job
