"""Webhook delivery throughput: ``python -m bench.webhooks_bench [--events N]``.

Emits N events (one transaction each, as services do) to one subscription whose receiver
runs on 127.0.0.1 in a separate process, then times the worker's delivery of all of them:
signed, in order, one logged try each, over a kept-alive connection. Uses its own database
(``DATABASE_URL``, else ``var/bench-webhooks.sqlite3``), migrated on first use.

Figures: ``webhook_deliveries_per_s`` (target ≥ 200) and ``webhook_emit_per_s`` (the
outbox write in the caller's transaction).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--scale", default="small", help="accepted for make bench; unused")
    parser.add_argument("--profile", action="store_true", help="cProfile the delivery")
    opts = parser.parse_args()
    os.environ.setdefault("WEBHOOKS_ALLOWED_NETWORKS", "127.0.0.0/8")
    from bench.common import setup_django

    setup_django("webhooks")
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    from bench.common import db_label
    from guanxi.webhooks.events import Event, register_event
    from guanxi.webhooks.models import Delivery, DeliveryStatus, OutboxEvent, Subscription
    from guanxi.webhooks.services import deliveries_sweep, emit
    from guanxi.webhooks.testing import serve

    ctx = multiprocessing.get_context("spawn")
    urls: Any = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(target=serve, args=(urls, stop), daemon=True)
    server.start()
    url = urls.get(timeout=30)
    print(f"database: {db_label()}; receiver: {url}; events: {opts.events:,}", flush=True)

    register_event(Event(key="bench.happened", label="bench"))
    Delivery.objects.all().delete()
    OutboxEvent.objects.all().delete()
    Subscription.objects.all().delete()
    sub = Subscription.objects.create(
        name="bench", url=url, events=["bench.happened"], secret="b" * 32
    )
    # Hold the queue while emitting, so emit is timed alone and delivery alone after it.
    Subscription.objects.filter(pk=sub.pk).update(
        lease_owner="bench", lease_until=timezone.now() + timezone.timedelta(hours=1)
    )
    started = time.perf_counter()
    for n in range(opts.events):
        with transaction.atomic():
            emit("bench.happened", {"n": n, "customer": {"id": n, "name": f"客户 {n}"}})
    emit_s = time.perf_counter() - started
    Subscription.objects.filter(pk=sub.pk).update(lease_owner="", lease_until=None)

    profiler = None
    if opts.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    delivered = deliveries_sweep()
    deliver_s = time.perf_counter() - started
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    stop.set()
    received = urls.get(timeout=30)
    server.join(timeout=10)
    done = Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()
    if delivered != opts.events or done != opts.events or received != opts.events:
        raise SystemExit(
            f"delivered {delivered}, succeeded {done}, received {received} of {opts.events}"
        )
    print(f"emit: {emit_s:.2f} s; delivery: {deliver_s:.2f} s", flush=True)
    print(f"webhook_emit_per_s: {opts.events / emit_s:.0f} /s")
    print(f"webhook_deliveries_per_s: {opts.events / deliver_s:.0f} /s")


if __name__ == "__main__":
    main()
