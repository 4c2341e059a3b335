"""What the seeders share while the demo loads: the one random stream, the demo's "today",
what each seeder made for the ones after it, and the timeline and audit entries written
together at the end."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from guanxi.accounts.models import Team, User
from guanxi.core.models import AuditEntry
from guanxi.customers.models import Contact, Customer, Tag, TimelineEntry
from guanxi.orders.models import Product


@dataclass
class Context:
    rng: random.Random
    today: dt.date
    n_customers: int
    log: Callable[[str], None]
    counts: Counter[str] = field(default_factory=Counter)  # rows made, by kind, in order
    # Written by the loader after the last seeder, in one bulk insert each.
    timeline: list[TimelineEntry] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    # What the seeders made, for the seeders after them.
    teams: dict[str, Team] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    products: list[Product] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    contacts: dict[int, list[Contact]] = field(default_factory=dict)  # by customer id

    def at(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        """A time in office hours on ``day`` (noon sharp for ``hour=12``)."""
        hour = self.rng.randint(9, 17) if hour is None else hour
        minute = self.rng.randrange(0, 60, 5) if hour != 12 else 0
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        span = max(0, (end - start).days)
        return start + dt.timedelta(days=self.rng.randint(0, span))
