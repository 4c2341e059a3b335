"""Demo data: a believable Chinese company and its customers, built in one transaction.

``build_demo`` runs the seeders (:data:`guanxi.demo.seeders.SEEDERS`), which write what the
services would have written — users, customers with search and phone keys, contacts,
preferences, products, two years of orders, communications, the timeline entries and the
audit entries (actor: system) — but with ``bulk_create``, so 2,000 customers load in
seconds. Everything comes from one seeded ``random.Random``: the same seed and ``today``
give the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from django.db import transaction
from django.utils import timezone, translation

from guanxi.accounts.models import Team, User
from guanxi.core import audit
from guanxi.core.models import AuditEntry, AuditSource
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.demo.context import Context
from guanxi.demo.seeders import SEEDERS
from guanxi.demo.seeders.accounts import ADMIN_USERNAME, MARKER_TEAM

COMPANY: Final = "上海瀚海信息科技有限公司"
DEFAULT_CUSTOMERS: Final = 2000
DEFAULT_SEED: Final = 2026


@dataclass
class DemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    users: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # username, name, role, team


def demo_exists() -> bool:
    """The demo is loaded once; a database with customers or an ``admin`` is left alone."""
    return (
        Team.objects.filter(name=MARKER_TEAM).exists()
        or Customer.objects.exists()
        or User.objects.filter(username=ADMIN_USERNAME).exists()
    )


def build_demo(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    log: Callable[[str], None] | None = None,
) -> DemoResult:
    """Load the demo unless it (or any customer) is already there."""
    if demo_exists():
        return DemoResult(created=False)
    with (
        translation.override("zh-hans"),
        audit.audit_source(AuditSource.SYSTEM),
        transaction.atomic(),
    ):
        ctx = Context(
            rng=random.Random(seed),
            today=today or timezone.localdate(),
            n_customers=customers,
            log=log or (lambda _msg: None),
        )
        for seeder in SEEDERS:
            seeder(ctx)
        TimelineEntry.objects.bulk_create(ctx.timeline, batch_size=2000)
        AuditEntry.objects.bulk_create(ctx.audit, batch_size=1000)
        ctx.counts["timeline"] = len(ctx.timeline)
        ctx.counts["audit"] = AuditEntry.objects.count()
        staff = [
            (u.username, u.display_name, u.get_role_display(), u.team.name if u.team else "")
            for u in ctx.users.values()
        ]
        return DemoResult(created=True, counts=dict(ctx.counts), users=staff)
