"""Measure the real pages and API in-process: ``python -m bench.run --scale small|large``.

Requests go through Django's test ``Client`` (all middleware, real views, templates and
the API with Bearer-token auth) against the bench database that ``bench.generate`` filled.
Each figure: warm-up requests, then ``--requests`` timed ones; p50 and p95 in ms. The
figures are printed last, one per line, as ``name: value unit``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.common import SCALES, db_label, setup_django, state_get


@dataclass
class Figure:
    name: str
    timings: list[float] = field(default_factory=list)
    queries: int | None = None
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def pct(self, q: float) -> float:
        data = sorted(self.timings)
        if not data:
            return float("nan")
        k = max(0, min(len(data) - 1, round(q / 100 * len(data) + 0.5) - 1))
        return data[k]


def percentile_line(fig: Figure) -> str:
    return (
        f"{fig.name:<36} n={len(fig.timings):<4} p50={fig.pct(50):7.1f} ms  "
        f"p95={fig.pct(95):7.1f} ms  max={max(fig.timings):7.1f} ms  "
        f"mean={statistics.fmean(fig.timings):7.1f} ms  queries/request={fig.queries}"
    )


class Bench:
    def __init__(self, requests: int, warmup: int, seed: int) -> None:
        from django.conf import settings
        from django.test import Client

        from guanxi.accounts.models import User
        from guanxi.accounts.services import token_create

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        settings.DEBUG = False  # no query log, no template debug: as in production
        self.requests, self.warmup = requests, warmup
        self.rng = random.Random(seed)
        self.users = self._actors(User)
        self.clients: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}
        for role, user in self.users.items():
            client = Client()
            client.force_login(user)
            self.clients[role] = client
            _token, raw = token_create(actor=user, name=f"bench {time.strftime('%Y-%m-%d %H:%M')}")
            self.tokens[role] = raw
        self.api_client = Client()

    @staticmethod
    def _actors(user_model: Any) -> dict[str, Any]:
        """The admin, the manager of team 1, and the account manager with the biggest book
        (the slowest scoped list)."""
        from django.db.models import Count

        from guanxi.customers.models import Customer

        top = (
            Customer.objects.values("owner_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("owner_id", "n")
            .first()
        )
        am = user_model.objects.get(pk=top[0])
        print(f"account manager {am.username} owns {top[1]:,} customers")
        return {
            "account_manager": am,
            "manager": user_model.objects.get(username="bench_mgr1"),
            "admin": user_model.objects.get(username="bench_admin"),
        }

    def measure(self, name: str, make: Callable[[], tuple[str, str, dict[str, Any]]]) -> Figure:
        """``make`` returns (client role or 'api:<role>', url, extra) for one request."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        fig = Figure(name)
        for i in range(self.warmup + self.requests):
            role, url, extra = make()
            started = time.perf_counter()
            response = self._get(role, url, extra)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
            if i >= self.warmup:
                fig.timings.append(elapsed)
                fig.slowest = sorted([*fig.slowest, (elapsed, f"{role} {url}")], reverse=True)[:5]
        role, url, extra = make()
        with CaptureQueriesContext(connection) as ctx:
            self._get(role, url, extra)
        fig.queries = len(ctx.captured_queries)
        print(percentile_line(fig), flush=True)
        return fig

    def _get(self, role: str, url: str, extra: dict[str, Any]) -> Any:
        if role.startswith("api:"):
            token = self.tokens[role[4:]]
            return self.api_client.get(url, headers={"Authorization": f"Bearer {token}"}, **extra)
        return self.clients[role].get(url, **extra)


def search_terms(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(kind, query) drawn from the data: a Chinese name fragment, pinyin initials, full
    pinyin, and a contact's mobile typed in another format."""
    from guanxi.customers.models import Contact, Customer
    from guanxi.demo.words import format_mobile

    top = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 1
    out: list[tuple[str, str]] = []
    while len(out) < n:
        cid = rng.randint(1, top)
        c = (
            Customer.objects.filter(pk__gte=cid)
            .order_by("pk")
            .values("name", "name_pinyin", "name_initials", "kind", "city")
            .first()
        )
        if c is None:
            continue
        kind = ("name", "initials", "pinyin", "phone")[len(out) % 4]
        name = c["name"]
        if kind == "name":
            # a brand-like fragment: skip the city, take 2–4 characters
            start = len(c["city"]) if name.startswith(c["city"]) else 0
            if c["kind"] == "government":
                start = name.find("市") + 1
            size = rng.choice([2, 2, 3, 4])
            frag = name[start : start + size]
            if len(frag) >= 2:
                out.append((kind, frag))
        elif kind == "initials":
            out.append((kind, c["name_initials"][: rng.choice([3, 4, 5])]))
        elif kind == "pinyin":
            out.append((kind, c["name_pinyin"][: rng.choice([6, 8, 10])]))
        else:
            mobile = (
                Contact.objects.filter(customer_id__gte=cid)
                .exclude(mobile_key="")
                .order_by("customer_id")
                .values_list("mobile", flat=True)
                .first()
            )
            if mobile:
                digits = "".join(ch for ch in mobile if ch.isdigit())[-11:]
                shown = mobile.replace(" ", "").replace("-", "")
                style = rng.choice([s for s in (1, 2, 3) if format_mobile(digits, s) != shown])
                out.append((kind, format_mobile(digits, style)))
    return out


def customers_with_history(rng: random.Random, n: int) -> list[int]:
    from guanxi.customers.models import Customer, TimelineEntry

    top = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 1
    ids: list[int] = []
    while len(ids) < n:
        start = rng.randint(1, top)
        cid = (
            TimelineEntry.objects.filter(customer_id__gte=start, kind="order")
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
            .first()
        )
        if cid is not None:
            ids.append(cid)
    return ids


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated figure prefixes")
    args = parser.parse_args(argv)
    setup_django(args.scale)

    from urllib.parse import urlencode

    from django.urls import reverse

    if not state_get("complete"):
        raise SystemExit("no complete bench data set here; run `python -m bench.generate` first")
    print(f"database: {db_label()}; data set: {state_get('scale')}")
    bench = Bench(args.requests, args.warmup, args.seed)
    rng = random.Random(args.seed)
    list_url = reverse("customers:list")
    api_url = "/api/v1/customers"
    terms = search_terms(rng, 80)
    ids = customers_with_history(rng, 200)
    results: list[Figure] = []

    def wanted(name: str) -> bool:
        return not args.only or any(name.startswith(p) for p in args.only.split(","))

    def list_request(role: str) -> Callable[[], tuple[str, str, dict[str, Any]]]:
        def make() -> tuple[str, str, dict[str, Any]]:
            r = rng.random()
            params: dict[str, Any] = {}
            if r < 0.15:
                params["page"] = rng.randint(2, 20)
            elif r < 0.3:
                params["sort"] = "name"
            return role, list_url + ("?" + urlencode(params) if params else ""), {}

        return make

    def search_request(role: str) -> Callable[[], tuple[str, str, dict[str, Any]]]:
        def make() -> tuple[str, str, dict[str, Any]]:
            _kind, q = rng.choice(terms)
            return role, f"{list_url}?{urlencode({'q': q})}", {}

        return make

    def search_kind(kind: str) -> Callable[[], tuple[str, str, dict[str, Any]]]:
        subset = [t for t in terms if t[0] == kind]

        def make() -> tuple[str, str, dict[str, Any]]:
            return "admin", f"{list_url}?{urlencode({'q': rng.choice(subset)[1]})}", {}

        return make

    def detail_request() -> tuple[str, str, dict[str, Any]]:
        return "admin", reverse("customers:detail", args=[rng.choice(ids)]), {}

    def api_request(role: str) -> Callable[[], tuple[str, str, dict[str, Any]]]:
        def make() -> tuple[str, str, dict[str, Any]]:
            offset = 0 if rng.random() < 0.8 else rng.randint(1, 20) * 50
            return f"api:{role}", f"{api_url}?{urlencode({'limit': 50, 'offset': offset})}", {}

        return make

    plan: list[tuple[str, Callable[[], tuple[str, str, dict[str, Any]]]]] = [
        ("customer_list_account_manager", list_request("account_manager")),
        ("customer_list_manager", list_request("manager")),
        ("customer_list_admin", list_request("admin")),
        ("customer_search_admin", search_request("admin")),
        ("customer_search_account_manager", search_request("account_manager")),
        ("customer_search_admin_name", search_kind("name")),
        ("customer_search_admin_initials", search_kind("initials")),
        ("customer_search_admin_pinyin", search_kind("pinyin")),
        ("customer_search_admin_phone", search_kind("phone")),
        ("customer_360", detail_request),
        ("api_customer_list_account_manager", api_request("account_manager")),
        ("api_customer_list_admin", api_request("admin")),
    ]
    for name, make in plan:
        if wanted(name):
            results.append(bench.measure(name, make))

    print("\nslowest requests:")
    for fig in results:
        for ms, what in fig.slowest[:3]:
            print(f"  {fig.name}: {ms:.1f} ms  {what}")

    by = {f.name: f for f in results}

    def worst(prefix: str, names: Sequence[str]) -> None:
        figs = [by[n] for n in names if n in by]
        if figs:
            print(f"{prefix}_p50_ms: {max(f.pct(50) for f in figs):.1f} ms")
            print(f"{prefix}_p95_ms: {max(f.pct(95) for f in figs):.1f} ms")

    print()
    for fig in results:
        print(f"{fig.name}_p95_ms: {fig.pct(95):.1f} ms")
    worst(
        "customer_list",
        ["customer_list_account_manager", "customer_list_manager", "customer_list_admin"],
    )
    worst("customer_search", ["customer_search_admin", "customer_search_account_manager"])
    worst("customer_360", ["customer_360"])
    worst("api_customer_list", ["api_customer_list_account_manager", "api_customer_list_admin"])
    print(f"generate_s: {state_get('generate_s')} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
