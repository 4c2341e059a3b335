"""The service desk: ``python -m bench.service_bench --scale small|large``.

Uses its own database (``DATABASE_URL``, else ``var/bench-service-<scale>.sqlite3``), filled
on first use: tickets (small 100,000 / large 1,000,000) on 5,000 customers of 50 account
managers in one department, a tenth of them open (the rest closed), half of the open ones
assigned to the one service agent, all open ones with SLA clocks already past due.

Figures:
- ``ticket_queue_p95_ms``: the queue page (full Django stack, logged in as the service
  agent, who reads every ticket), p95 of 60 requests over the queues mine, unassigned,
  breaching soon and all, and a filtered one (priority + category).
- ``sla_sweep_s``: one SLA sweep claiming every open ticket's breach (first response and
  resolution) and writing the notifications of the assigned ones (the worst case: 200,000
  breaches at the large size); the marks are reset and the table vacuumed before it.
- ``sla_sweep_steady_s``: one sweep in the steady state: every open ticket already breached
  by earlier sweeps except 1 in 100 (both clocks breaching now) and another 1 in 100 (both
  clocks reaching their warning time now) — far more than fall due in the worker's minute.
- ``mail_in_per_s``: messages per second through ``mail_receive`` (parse, store raw,
  match the sender, open a ticket with its SLA clock), 300 messages from known contacts.
- ``mail_in_smtp_per_s``: the same through the real SMTP receiver (``guanxi mail-in``'s
  aiosmtpd controller on 127.0.0.1), one smtplib connection sending them one after the
  other; timed until the last ticket is stored.
- ``mail_poll_per_s``: the same through IMAP polling (``mailbox_poll``) of the test
  suite's fake IMAP server on 127.0.0.1, one poll taking all of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from email.message import EmailMessage
from typing import Any

SIZES = {"small": 100_000, "large": 1_000_000}
CUSTOMERS = 5_000
MAILS = 300


def _fill(total: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from guanxi.accounts.models import Role, Team, User
    from guanxi.customers.models import Contact, Customer
    from guanxi.service.models import SlaPolicy, Ticket

    if Ticket.objects.exists():
        return
    rnd = random.Random(12)
    team = Team.objects.create(name="基准服务部")
    agent = User.objects.create(username="bench_agent", role=Role.SERVICE_AGENT,
                                display_name="客服")  # fmt: skip
    owners = [
        User.objects.create(
            username=f"bench_sam{i}",
            team=team,
            role=Role.ACCOUNT_MANAGER,
            display_name=f"客户经理{i}",
        )
        for i in range(50)
    ]
    customers = Customer.objects.bulk_create(
        [
            Customer(name=f"服务客户{i:05d}", owner=owners[i % 50], team=team)
            for i in range(CUSTOMERS)
        ],
        batch_size=2000,
    )
    Contact.objects.bulk_create(
        [Contact(customer=c, name=f"联系人{i}", email=f"c{i}@bench.example.com")
         for i, c in enumerate(customers)],
        batch_size=2000,
    )  # fmt: skip
    policy = SlaPolicy.objects.create(name="基准", first_response_minutes=60,
                                      resolution_minutes=480)  # fmt: skip
    now = timezone.now()
    past = now - dt.timedelta(days=3)
    open_count = total // 10
    batch = []
    for i in range(total):
        is_open = i < open_count
        c = customers[rnd.randrange(CUSTOMERS)]
        created = now - dt.timedelta(minutes=rnd.randrange(0, 525_600))  # a year
        ticket = Ticket(
            subject=f"基准工单{i:07d}", customer=c,
            priority=rnd.choice(["low", "normal", "high", "urgent"]),
            category=rnd.choice(["inquiry", "complaint", "repair", "suggestion"]),
            channel=rnd.choice(["phone", "email"]), sla_policy=policy,
            first_response_target=3600, resolution_target=28800, warn_before=1800,
        )  # fmt: skip
        if is_open:
            ticket.status = rnd.choice(["new", "open"])
            ticket.assignee = agent if i % 2 else None
            ticket.first_response_due = ticket.first_response_warn_at = past
            ticket.resolution_due = ticket.resolution_warn_at = past
            ticket.clock_started_at = past
        else:
            ticket.status = "closed"
            ticket.assignee = owners[i % 50]
            ticket.resolved_at = ticket.closed_at = created
        batch.append(ticket)
        if len(batch) == 10_000:
            with transaction.atomic():
                Ticket.objects.bulk_create(batch)
            batch = []
            if i < open_count or i % 100_000 < 10_000:
                print(f"  tickets {i + 1:,}", flush=True)
    if batch:
        Ticket.objects.bulk_create(batch)
    print(f"  tickets {total:,} ({open_count:,} open)", flush=True)


def _p95(client: Any, urls: list[str], n: int) -> float:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        response = client.get(urls[i % len(urls)])
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    for j, url in enumerate(urls):
        mine = times[j :: len(urls)]
        print(f"  {url}: median {statistics.median(mine):.1f} ms, max {max(mine):.1f} ms")
    return statistics.quantiles(times, n=20)[-1]


def _mails() -> list[bytes]:
    out = []
    for i in range(MAILS):
        msg = EmailMessage()
        msg["From"] = f"c{i}@bench.example.com"
        msg["To"] = "service@bench.example.com"
        msg["Subject"] = f"基准来信 {i}"
        msg["Message-ID"] = f"<bench-{time.time_ns()}-{i}@bench.example.com>"
        msg.set_content("设备故障，请尽快处理。" * 20)
        out.append(msg.as_bytes())
    return out


def _mails_via_smtp(mails: list[bytes]) -> float:
    import smtplib

    from guanxi.notifications.tests.receivers import _free_port
    from guanxi.service.models import InboundMail
    from guanxi.service.smtp import controller

    port = _free_port()
    server = controller("127.0.0.1", port)
    server.start()
    before = InboundMail.objects.count()
    try:
        t0 = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            for raw in mails:
                wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # CRLF on the wire
                client.sendmail("c@bench.example.com", ["service@bench.example.com"], wire)
        elapsed = time.perf_counter() - t0  # 250 is answered once the mail is stored
    finally:
        server.stop()
    made = InboundMail.objects.count() - before
    assert made == len(mails), made
    return elapsed


def _mails_via_imap(mails: list[bytes]) -> float:
    from guanxi.service.models import Mailbox
    from guanxi.service.services.mailboxes import mailbox_poll
    from guanxi.service.tests.imap_fake import FakeMailbox, imap_server

    box = FakeMailbox(uid_validity=time.time_ns() // 1_000_000_000)
    for raw in mails:
        box.add(raw)
    os.environ["GUANXI_BENCH_IMAP_PASSWORD"] = box.password
    with imap_server(box) as (host, port):
        mailbox, _created = Mailbox.objects.update_or_create(
            name="bench", defaults={"host": host, "port": port, "use_ssl": False,
                                    "username": box.user, "uid_validity": None, "last_uid": 0,
                                    "password_env": "GUANXI_BENCH_IMAP_PASSWORD"},
        )  # fmt: skip
        t0 = time.perf_counter()
        result = mailbox_poll(mailbox_id=mailbox.pk)
        elapsed = time.perf_counter() - t0
    assert result.taken == len(mails) and not result.error, result
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SIZES), default="small")
    parser.add_argument("--only", choices=["queue", "sweep", "mail"], action="append",
                        help="run only these figures (default: all)")  # fmt: skip
    opts = parser.parse_args()
    from bench.common import setup_django

    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DEBUG", "1")
    setup_django(f"service-{opts.scale}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.common import db_label

    total = SIZES[opts.scale]
    print(f"database: {db_label()}; tickets {total:,}")
    _fill(total)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    setup_test_environment()
    only = set(opts.only or ["queue", "sweep", "mail"])
    if "queue" in only:
        _queue(Client)
    if "sweep" in only:
        _sweep()
    if "mail" in only:
        _mail_figures()


def _queue(client_class: Any) -> None:
    from guanxi.accounts.models import User

    client = client_class()
    client.force_login(User.objects.get(username="bench_agent"))
    urls = [
        "/service/tickets/?queue=mine",
        "/service/tickets/?queue=unassigned",
        "/service/tickets/?queue=breaching",
        "/service/tickets/?queue=all",
        "/service/tickets/?queue=all&priority=urgent&category=repair",
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    p95 = _p95(client, urls, 60)
    print(f"ticket_queue_p95_ms: {p95:.1f} ms")


STEADY_SHARE = 100  # steady state: one open ticket in STEADY_SHARE breaches, one warns


def _reset_marks(*, steady: bool) -> None:
    """Put the open tickets back before a sweep (outside the timed part), then VACUUM
    (ANALYZE) the table on PostgreSQL, as autovacuum would after such an UPDATE.

    Worst case: every open ticket unmarked with both clocks past due. Steady state: every
    open ticket already breached by an earlier sweep except one in ``STEADY_SHARE`` (both
    clocks falling due now) and another one in ``STEADY_SHARE`` whose clocks only reach
    their warning time now (due tomorrow)."""
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from guanxi.notifications.models import Notification
    from guanxi.service.models import Ticket
    from guanxi.service.services.sla import SLA_BREACH, SLA_WARNING

    now = timezone.now()
    past, later = now - dt.timedelta(days=3), now + dt.timedelta(days=1)
    open_rows = Ticket.objects.filter(status__in=["new", "open"])
    open_rows.update(
        response_breached_at=past if steady else None,
        resolution_breached_at=past if steady else None,
        response_warned_at=past if steady else None,
        resolution_warned_at=past if steady else None,
        first_response_due=past, first_response_warn_at=past,
        resolution_due=past, resolution_warn_at=past,
    )  # fmt: skip
    if steady:
        ids = list(open_rows.order_by("id").values_list("id", flat=True))
        breaching, warning = ids[::STEADY_SHARE], ids[1::STEADY_SHARE]
        unmarked = {"response_breached_at": None, "resolution_breached_at": None,
                    "response_warned_at": None, "resolution_warned_at": None}  # fmt: skip
        Ticket.objects.filter(pk__in=breaching).update(**unmarked)
        Ticket.objects.filter(pk__in=warning).update(
            **unmarked, first_response_due=later, resolution_due=later
        )
        assert not open_rows.filter(~Q(pk__in=breaching + warning),
                                    response_breached_at__isnull=True).exists()  # fmt: skip
    # Drop the notifications an earlier run wrote (their de-duplication keys would make the
    # sweep skip them), so a rerun measures a full sweep again.
    Notification.objects.filter(kind__in=[SLA_BREACH, SLA_WARNING]).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) service_ticket")
            cur.execute("VACUUM (ANALYZE) notifications_notification")


def _sweep() -> None:
    from django.urls import reverse

    from guanxi.service.services.sla import sla_sweep

    # A running worker has the URLconf loaded; its first import (every app's views and API,
    # 29 s at load 13 on the shared machine) is process start-up, not the sweep's work.
    reverse("service:detail", args=[1])

    for steady, name in ((False, "sla_sweep_s"), (True, "sla_sweep_steady_s")):
        _reset_marks(steady=steady)
        t0 = time.perf_counter()
        result = sla_sweep()
        elapsed = time.perf_counter() - t0
        print(f"  {name}: {result.breached:,} breaches, {result.warned:,} warnings, "
              f"{result.notified:,} notifications")  # fmt: skip
        print(f"{name}: {elapsed:.2f} s")


def _mail_figures() -> None:
    from guanxi.service.models import InboundMail
    from guanxi.service.services.mail import mail_receive

    mails = _mails()
    before = InboundMail.objects.count()
    t0 = time.perf_counter()
    for raw in mails:
        mail_receive(raw, envelope_from="c@bench.example.com")
    elapsed = time.perf_counter() - t0
    made = InboundMail.objects.count() - before
    assert made == MAILS, made
    print(f"mail_in_per_s: {MAILS / elapsed:.0f} messages/s")
    elapsed = _mails_via_smtp(_mails())
    print(f"mail_in_smtp_per_s: {MAILS / elapsed:.0f} messages/s")
    elapsed = _mails_via_imap(_mails())
    print(f"mail_poll_per_s: {MAILS / elapsed:.0f} messages/s")


if __name__ == "__main__":
    main()
