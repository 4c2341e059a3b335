"""The customer portal: ``python -m bench.portal_bench``.

Uses its own database (``DATABASE_URL``, else ``var/bench-portal-<scale>.sqlite3``), filled
on first use. ``--scale large`` (the default, the acceptance figure): one customer company
with 200 projects (10 tasks each) and 10,000 tickets (a tenth still open, one in a hundred
waiting for the customer) with two messages each, 50 surveys; and a second company with as
much again, so the portal's reads must pick one company's rows out of twice as many.
``--scale small``: a tenth of that (20 projects, 1,000 tickets per company).

Figure:
- ``portal_home_p95_ms``: the portal home (full Django stack, signed in as the company's
  portal user: surveys to answer, tickets awaiting a reply, open tickets, active
  projects), p95 of 100 requests after 10 warm-up ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from typing import Any

SIZES = {"small": (20, 1_000), "large": (200, 10_000)}  # (projects, tickets) per company
TASKS_PER_PROJECT = 10


def _company(name: str, owner: Any, now: dt.datetime, size: tuple[int, int]) -> Any:
    from guanxi.accounts.models import Role, User
    from guanxi.customers.models import Contact, Customer
    from guanxi.portal.models import PortalAccount, PortalRole
    from guanxi.projects.models import Project, Task
    from guanxi.service.models import MessageKind, Survey, Ticket, TicketMessage

    customer = Customer.objects.create(name=name, owner=owner, team=owner.team)
    contact = Contact.objects.create(customer=customer, name="联系人", email=f"{name}@bench.cn")
    user = User.objects.create(username=f"portal-{name}", email=contact.email, role=Role.PORTAL)
    user.set_password("bench-portal-2026")
    user.save()
    PortalAccount.objects.create(
        user=user, customer=customer, contact=contact, contact_bound=True,
        role=PortalRole.REQUESTER,
    )  # fmt: skip
    start = dt.date(2026, 1, 5)
    n_projects, n_tickets = size
    projects = Project.objects.bulk_create(
        [Project(name=f"{name}项目{i}", customer=customer, start_date=start, manager=owner,
                 status="active" if i % 4 else "closed") for i in range(n_projects)]
    )  # fmt: skip
    Task.objects.bulk_create(
        [Task(project=p, name=f"任务{j}", progress=(j * 10) % 100, duration_days=2)
         for p in projects for j in range(TASKS_PER_PROJECT)],
        batch_size=2000,
    )  # fmt: skip
    tickets = []
    for i in range(n_tickets):
        status = "closed" if i % 10 else ("waiting" if i % 100 == 0 else "open")
        tickets.append(
            Ticket(subject=f"{name}工单{i}", customer=customer, contact=contact, status=status,
                   resolved_at=now if status == "closed" else None,
                   closed_at=now if status == "closed" else None)
        )  # fmt: skip
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    TicketMessage.objects.bulk_create(
        [TicketMessage(ticket=t, kind=kind, body="内容")
         for t in tickets for kind in (MessageKind.INCOMING, MessageKind.REPLY)],
        batch_size=5000,
    )  # fmt: skip
    Survey.objects.bulk_create(
        [Survey(kind="csat", token_hash=f"{name}{i:060d}", ticket=tickets[i * 10],
                customer=customer, contact=contact, email=contact.email, sent_at=now,
                expires_at=now + dt.timedelta(days=14)) for i in range(50)]
    )  # fmt: skip
    return user


def _fill(size: tuple[int, int]) -> str:
    from django.db import transaction
    from django.utils import timezone

    from guanxi.accounts.models import Role, Team, User

    existing = User.objects.filter(username="portal-甲公司").first()
    if existing is not None:
        return existing.username
    with transaction.atomic():
        team = Team.objects.create(name="门户基准部")
        owner = User.objects.create(username="bench_portal_am", team=team,
                                    role=Role.ACCOUNT_MANAGER)  # fmt: skip
        now = timezone.now()
        user = _company("甲公司", owner, now, size)
        _company("乙公司", owner, now, size)
    return str(user.username)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--scale", choices=sorted(SIZES), default="large")
    opts = parser.parse_args()
    size = SIZES[opts.scale]
    from bench.common import setup_django

    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    setup_django(f"portal-{opts.scale}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.common import db_label
    from guanxi.accounts.models import User

    print(f"database: {db_label()}; {size[0]} projects, {size[1]:,} tickets per company")
    started = time.perf_counter()
    username = _fill(size)
    print(f"  filled in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    setup_test_environment()
    settings.DEBUG = False
    client = Client()
    client.force_login(User.objects.get(username=username))
    for _ in range(10):
        assert client.get("/portal/").status_code == 200
    timings = []
    for _ in range(opts.requests):
        t0 = time.perf_counter()
        response = client.get("/portal/")
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings) + 0.5) - 1)]
    print(f"  median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")
    print(f"portal_home_p95_ms: {p95:.1f} ms")


if __name__ == "__main__":
    main()
