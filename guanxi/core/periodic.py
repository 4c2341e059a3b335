"""Periodic work of the worker: a registry of functions run every so many seconds.

``guanxi worker`` starts :func:`start` beside the task worker; each registered job runs in
that thread every ``every`` seconds (reminder rules, delivery retries, webhook sweeps).
Jobs must be safe to run in several workers at once: they lock what they take (the rule
state row, a delivery's claim), so any number of workers may run the loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections, connection

log = logging.getLogger("guanxi.periodic")


@dataclass(frozen=True)
class PeriodicJob:
    key: str
    every: float  # seconds
    run: Callable[[], object]


_JOBS: dict[str, PeriodicJob] = {}


def register_periodic(job: PeriodicJob) -> PeriodicJob:
    _JOBS[job.key] = job
    return job


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_JOBS.values(), key=lambda j: j.key)


def run_due(last_run: dict[str, float], now: float) -> list[str]:
    """Run the jobs whose interval has passed since ``last_run`` (updated); returns their
    keys. A failing job is logged and tried again at its next interval."""
    ran = []
    for job in periodic_jobs():
        if now - last_run.get(job.key, float("-inf")) < job.every:
            continue
        last_run[job.key] = now
        close_old_connections()
        try:
            job.run()
        except Exception:
            log.exception("periodic job %s failed", job.key)
        ran.append(job.key)
    return ran


def loop(stop: threading.Event, tick: float = 5.0) -> None:
    last_run: dict[str, float] = {}
    try:
        while not stop.is_set():
            run_due(last_run, time.monotonic())
            stop.wait(tick)
    finally:
        connection.close()


def start(tick: float = 5.0) -> threading.Event:
    """Start the loop in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=loop, args=(stop, tick), name="guanxi-periodic", daemon=True)
    thread.start()
    return stop
