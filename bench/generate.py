"""Generate a benchmark data set: ``python -m bench.generate --scale small|large``.

Writes straight into the tables (PostgreSQL ``COPY``; SQLite ``executemany`` in big
transactions) with explicit ids, secondary indexes dropped during the load and rebuilt
after, then ``ANALYZE``. Every random choice comes from fixed seeds, so each phase can be
regenerated on its own: phases are recorded in ``bench_state`` and a re-run skips what is
done (a finished data set is not regenerated).

Search keys come from ``guanxi.core.text.pinyin`` (the same functions the services call); phone
keys from ``guanxi.core.text.cleaning.normalize_phone`` through a fast path for the generated
number shapes that is checked against ``normalize_phone`` on a sample before use.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final

import numpy as np

from bench.common import SCALES, Scale, db_label, setup_django, state_get, state_set

SEED = 20261124
CHUNK = 50_000  # customers per transaction-sized batch of child rows
TODAY = dt.date(2026, 11, 24)  # fixed so that data are the same whenever generated
YEARS = 5


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- the database side ------------------------------------------------------------------------


class Loader:
    """Bulk writes for either backend, inside the caller's transaction."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.connection = connection
        self.vendor = connection.vendor
        self.raw = connection.connection
        self.tz = "+00" if self.vendor == "postgresql" else ""

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        n = 0
        if self.vendor == "postgresql":
            cols = ", ".join(f'"{c}"' for c in columns)
            with self.raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as cp:
                for row in rows:
                    cp.write_row(row)
                    n += 1
            return n
        rows = list(rows)
        marks = ", ".join("?" for _ in columns)
        cols = ", ".join(f'"{c}"' for c in columns)
        self.raw.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
        return len(rows)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cur:
            cur.execute(sql, params)
            try:
                return list(cur.fetchall())
            except Exception:
                return []

    def count(self, table: str) -> int:
        return int(self.execute(f'SELECT COUNT(*) FROM "{table}"')[0][0])

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """Indexes that back no constraint (primary and unique keys stay)."""
        if self.vendor == "postgresql":
            return [
                (name, sql)
                for name, sql in self.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    [table],
                )
            ]
        return [
            (name, sql)
            for name, sql in self.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
            if not sql.upper().startswith("CREATE UNIQUE")
        ]

    def drop_indexes(self, tables: Sequence[str]) -> None:
        dropped = state_get("dropped_indexes", [])
        for table in tables:
            for name, sql in self.secondary_indexes(table):
                dropped.append([name, sql])
                state_set("dropped_indexes", dropped)
                self.execute(f'DROP INDEX "{name}"')

    def restore_indexes(self) -> None:
        dropped = state_get("dropped_indexes", [])
        if not dropped:
            return
        if self.vendor == "postgresql":
            self.execute("SET maintenance_work_mem = '1GB'")
        for i, (name, sql) in enumerate(dropped):
            started = time.perf_counter()
            sql = sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
            self.execute(sql)
            state_set("dropped_indexes", dropped[i + 1 :])
            log(f"  index {name}: {time.perf_counter() - started:.1f} s")

    def reset_sequences(self, tables: Sequence[str]) -> None:
        if self.vendor != "postgresql":
            return  # SQLite AUTOINCREMENT follows explicit ids by itself
        for table in tables:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )

    def analyze(self) -> None:
        if self.vendor == "postgresql":
            # VACUUM as well: it sets the visibility map that index-only scans need, as
            # autovacuum would on a live database (and autovacuum may be off).
            self.execute("VACUUM (ANALYZE)")
        else:
            self.execute("ANALYZE")


# --- phone keys -------------------------------------------------------------------------------


class PhoneKeys:
    """``normalize_phone`` for the generated shapes (mobile digits, landline area + number),
    by template: the key of one sample tells where the digits go, and a sample of a few
    thousand numbers in every shape is checked against ``normalize_phone`` before use."""

    def __init__(self) -> None:
        from guanxi.core.text.cleaning import normalize_phone

        self.normalize = normalize_phone
        self.fast = self._learn()

    def _learn(self) -> bool:
        probe = "13912345678"
        key = self.normalize(probe)
        if probe in key:
            self.mobile_prefix, self.mobile_suffix = key.split(probe, 1)
        else:
            return False
        land = self.normalize("021-62345678")
        if "2162345678" in land:
            self.land_prefix, self.land_suffix = land.split("2162345678", 1)
        else:
            return False
        return True

    def mobile(self, digits: str) -> str:
        return (
            f"{self.mobile_prefix}{digits}{self.mobile_suffix}"
            if self.fast
            else self.normalize(digits)
        )

    def landline(self, area: str, number: str) -> str:
        if self.fast:
            return f"{self.land_prefix}{area[1:]}{number}{self.land_suffix}"
        return self.normalize(f"{area}-{number}")

    def verify(self, n: int = 3000) -> None:
        from guanxi.demo.words import CITIES, MOBILE_PREFIXES, format_mobile, local_number

        if not self.fast:
            log("phone keys: no fast path (key shape not recognised); using normalize_phone")
            return
        rng = random.Random(7)
        for _ in range(n):
            digits = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            for style in range(4):
                shown = format_mobile(digits, style)
                assert self.mobile(digits) == self.normalize(shown), (shown, self.mobile(digits))
            area = rng.choice(CITIES)[2]
            number = local_number(rng, area)
            shown = f"{area}-{number}"
            assert self.landline(area, number) == self.normalize(shown), (
                shown,
                self.landline(area, number),
            )
        log(f"phone keys: fast path equals normalize_phone on {n * 5:,} sampled numbers")


# --- the plan: every per-customer decision, as arrays from fixed seeds ----------------------------


class Plan:
    def __init__(self, scale: Scale, users: dict[str, Any]) -> None:
        from guanxi.demo.words import CITIES, KIND_WEIGHTS, STATUS_WEIGHTS

        self.scale = scale
        n = scale.customers
        g = np.random.default_rng(SEED)
        self.kind_values = [k for k, _ in KIND_WEIGHTS]
        self.kind = g.choice(len(KIND_WEIGHTS), size=n, p=_p([w for _, w in KIND_WEIGHTS]))
        self.status_values = [s for s, _ in STATUS_WEIGHTS]
        self.status = g.choice(len(STATUS_WEIGHTS), size=n, p=_p([w for _, w in STATUS_WEIGHTS]))
        self.city = g.choice(len(CITIES), size=n, p=_p([c[3] for c in CITIES]))
        # Owners: account managers with uneven books (Pareto-ish); managers keep 5 %.
        ams, managers = users["account_managers"], users["managers"]
        am_w = g.pareto(2.0, size=len(ams)) + 1.0
        owner_idx = g.choice(len(ams), size=n, p=am_w / am_w.sum())
        self.owner = np.array([ams[i][0] for i in owner_idx], dtype=np.int64)
        self.team = np.array([ams[i][1] for i in owner_idx], dtype=np.int64)
        mgr_rows = g.random(n) < 0.05
        mgr_pick = g.integers(0, len(managers), size=n)
        self.owner[mgr_rows] = [managers[i][0] for i in mgr_pick[mgr_rows]]
        self.team[mgr_rows] = [managers[i][1] for i in mgr_pick[mgr_rows]]
        # Creation times rise with the id, as they do in a live system.
        span = YEARS * 365 * 86400
        self.start = dt.datetime.combine(TODAY - dt.timedelta(days=YEARS * 365), dt.time(1, 0))
        self.created_offset = (np.arange(1, n + 1, dtype=np.int64) * span) // (n + 1)
        # Contacts: at least one each.
        extra = g.integers(0, n, size=scale.contacts - n)
        self.contacts = 1 + np.bincount(extra, minlength=n)
        self.contact_start = 1 + np.concatenate([[0], np.cumsum(self.contacts)[:-1]])
        # Orders: none for prospects, skewed towards a few frequent buyers.
        buyer = g.random(n)
        weight = np.where(buyer < 0.05, 25.0, np.where(buyer < 0.3, 4.0, 1.0))
        weight[self.status == self.status_values.index("prospect")] = 0.0
        self.orders = np.bincount(
            g.choice(n, size=scale.orders, p=weight / weight.sum()), minlength=n
        )
        self.order_start = 1 + np.concatenate([[0], np.cumsum(self.orders)[:-1]])
        lines_extra = g.integers(0, scale.orders, size=scale.order_lines - scale.orders)
        self.lines = 1 + np.bincount(lines_extra, minlength=scale.orders)
        self.line_start = 1 + np.concatenate([[0], np.cumsum(self.lines)[:-1]])
        order_entries = scale.timeline - scale.communications
        self.order_on_timeline = np.zeros(scale.orders, dtype=bool)
        self.order_on_timeline[g.choice(scale.orders, size=order_entries, replace=False)] = True
        self.timeline_order_start = 1 + np.concatenate(
            [[0], np.cumsum(self.order_on_timeline)[:-1]]
        )
        active = np.isin(
            self.status, [self.status_values.index("active"), self.status_values.index("prospect")]
        )
        comm_w = np.where(active, 3.0, 1.0)
        self.comms = np.bincount(
            g.choice(n, size=scale.communications, p=comm_w / comm_w.sum()), minlength=n
        )
        self.comm_start = 1 + np.concatenate([[0], np.cumsum(self.comms)[:-1]])
        self.prefs = np.minimum(
            np.bincount(g.integers(0, n, size=scale.preferences), minlength=n), 5
        )
        self.tags = np.minimum(np.bincount(g.integers(0, n, size=scale.tag_links), minlength=n), 3)

    def created(self, cid: int) -> dt.datetime:
        return self.start + dt.timedelta(seconds=int(self.created_offset[cid - 1]))


def _p(weights: Sequence[float]) -> np.ndarray:
    a = np.asarray(weights, dtype=float)
    return a / a.sum()


# --- phases ----------------------------------------------------------------------------------


def chunks(n: int, size: int = CHUNK) -> Iterator[range]:
    for lo in range(1, n + 1, size):
        yield range(lo, min(n, lo + size - 1) + 1)


CUSTOMER_COLS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "kind",
    "name",
    "industry",
    "size",
    "province",
    "city",
    "district",
    "credit_code",
    "address",
    "source",
    "owner_id",
    "team_id",
    "status",
    "since",
    "phone",
    "phone_key",
    "email",
    "website",
    "notes",
    "custom_fields",
    "search_text",
    "name_pinyin",
    "name_initials",
    "name_key",
    "created_by_id",
    "duplicate_note",
    "deleted_at",
    "deleted_by_id",
]
AUDIT_COLS = [
    "created_at",
    "actor_id",
    "actor_label",
    "source",
    "action",
    "model",
    "object_id",
    "object_repr",
    "customer_id",
    "changes",
]
CONTACT_COLS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "customer_id",
    "name",
    "title",
    "phone",
    "phone_key",
    "mobile",
    "mobile_key",
    "email",
    "wechat",
    "birthday",
    "preferred_channel",
    "consent_marketing",
    "consent_updated_at",
    "is_primary",
    "notes",
    "duplicate_note",
]
ORDER_COLS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "customer_id",
    "number",
    "order_date",
    "status",
    "currency",
    "total",
    "note",
    "created_by_id",
]
LINE_COLS = ["id", "order_id", "product_id", "description", "quantity", "unit_price", "amount"]
TIMELINE_COLS = [
    "id",
    "customer_id",
    "kind",
    "occurred_at",
    "title",
    "body",
    "actor_id",
    "subject_model",
    "subject_id",
    "data",
    "created_at",
]
COMM_COLS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "customer_id",
    "contact_id",
    "channel",
    "direction",
    "occurred_at",
    "summary",
    "staff_id",
    "next_follow_up",
    "follow_up_done",
]
PREF_COLS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "customer_id",
    "category",
    "key",
    "value",
    "note",
]


def check_columns() -> None:
    """Fail loudly when a model gained a column the generator does not fill."""
    from guanxi.core.models import AuditEntry
    from guanxi.customers.models import Communication, Contact, Customer, Preference, TimelineEntry
    from guanxi.orders.models import Order, OrderLine

    for model, cols in [
        (Customer, CUSTOMER_COLS),
        (Contact, CONTACT_COLS),
        (Order, ORDER_COLS),
        (OrderLine, LINE_COLS),
        (TimelineEntry, TIMELINE_COLS),
        (Communication, COMM_COLS),
        (Preference, PREF_COLS),
        (AuditEntry, ["id", *AUDIT_COLS]),
    ]:
        actual = {f.column for f in model._meta.concrete_fields}
        if actual != set(cols):
            raise SystemExit(f"{model.__name__}: columns changed: {sorted(actual ^ set(cols))}")


class Generator:
    def __init__(self, scale: Scale, loader: Loader) -> None:
        self.scale = scale
        self.db = loader
        self.tz = loader.tz

    def ts(self, value: dt.datetime) -> str:
        return value.isoformat(sep=" ") + self.tz

    # users, teams, products, tags: a handful of rows through the ORM
    def reference_data(self) -> dict[str, Any]:
        from django.contrib.auth.hashers import make_password

        from guanxi.accounts.models import Role, Team, User
        from guanxi.customers.models import Tag
        from guanxi.demo.words import PRODUCTS, TAGS
        from guanxi.orders.models import Product

        if not User.objects.filter(username="bench_admin").exists():
            password = make_password("bench-pass-2026")
            teams = Team.objects.bulk_create(
                [Team(name=f"销售{n}部") for n in "一二三四五六七八九十"[: self.scale.teams]]
            )
            users = [
                User(
                    username="bench_admin",
                    display_name="基准管理员",
                    role=Role.ADMIN,
                    is_staff=True,
                    is_superuser=True,
                    password=password,
                ),
                User(
                    username="bench_agent",
                    display_name="基准客服",
                    role=Role.SERVICE_AGENT,
                    password=password,
                ),
            ]
            for t, team in enumerate(teams, 1):
                users.append(
                    User(
                        username=f"bench_mgr{t}",
                        display_name=f"经理{t}",
                        role=Role.MANAGER,
                        team=team,
                        password=password,
                    )
                )
                for a in range(1, self.scale.account_managers_per_team + 1):
                    users.append(
                        User(
                            username=f"bench_am{t}{a:02d}",
                            display_name=f"客户经理{t}-{a}",
                            role=Role.ACCOUNT_MANAGER,
                            team=team,
                            password=password,
                        )
                    )
            User.objects.bulk_create(users)
            Product.objects.bulk_create(
                [Product(code=c, name=n, category=cat, unit_price=p) for c, n, cat, p in PRODUCTS]
            )
            Tag.objects.bulk_create([Tag(name=n, color=c) for n, c in TAGS])
        ams = list(
            User.objects.filter(username__startswith="bench_am")
            .order_by("username")
            .values_list("id", "team_id")
        )
        managers = list(
            User.objects.filter(username__startswith="bench_mgr")
            .order_by("username")
            .values_list("id", "team_id")
        )
        products = list(Product.objects.order_by("id").values_list("id", "name", "unit_price"))
        tag_ids = list(Tag.objects.order_by("id").values_list("id", flat=True))
        agent = User.objects.get(username="bench_agent").pk
        return {
            "account_managers": ams,
            "managers": managers,
            "products": products,
            "tags": tag_ids,
            "agent": agent,
        }

    def customers(self, plan: Plan, phones: PhoneKeys) -> None:
        from guanxi.core.text.keys import customer_search_keys
        from guanxi.core.text.pinyin import pinyin_keys
        from guanxi.demo.words import (
            CITIES,
            DISTRICTS,
            FREE_MAIL,
            ROADS,
            SIZE_WEIGHTS,
            SOURCE_WEIGHTS,
            customer_name,
            format_mobile,
            local_number,
            mobile,
        )

        rng = random.Random(SEED + 1)
        sizes, size_cum = _cum(SIZE_WEIGHTS)
        sources, source_cum = _cum(SOURCE_WEIGHTS)
        ts = self.ts
        for block in chunks(self.scale.customers):
            rows, audits = [], []
            for cid in block:
                i = cid - 1
                kind = plan.kind_values[plan.kind[i]]
                province, city, area, _w, _r = CITIES[plan.city[i]]
                name, industry = customer_name(rng, kind, city)
                full, initials = pinyin_keys(name)  # the e-mail and domain are made of it
                if kind == "individual":
                    digits = mobile(rng)
                    phone, phone_key = (
                        format_mobile(digits, rng.randrange(4)),
                        phones.mobile(digits),
                    )
                    mailbox = rng.choice(FREE_MAIL)
                    email = f"{full}{rng.randint(1, 9999)}@{mailbox}"
                    size, website = "", ""
                else:
                    number = local_number(rng, area)
                    phone, phone_key = f"{area}-{number}", phones.landline(area, number)
                    domain = (
                        f"{initials[:8] or 'corp'}.{'gov.cn' if kind == 'government' else 'com'}"
                    )
                    email = f"info@{domain}"
                    website = f"https://www.{domain}"
                    size = rng.choices(sizes, cum_weights=size_cum)[0]
                keys = customer_search_keys(name, email)
                created = plan.created(cid)
                created_s = ts(created)
                status = plan.status_values[plan.status[i]]
                owner, team = int(plan.owner[i]), int(plan.team[i])
                address = (
                    f"{city}市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
                )
                source = rng.choices(sources, cum_weights=source_cum)[0]
                since = created.date().isoformat()
                rows.append(
                    (
                        cid,
                        created_s,
                        created_s,
                        1,
                        kind,
                        name,
                        industry,
                        size,
                        province,
                        city,
                        "",
                        "",
                        address,
                        source,
                        owner,
                        team,
                        status,
                        since,
                        phone,
                        phone_key,
                        email,
                        website,
                        "",
                        "{}",
                        keys.search_text,
                        keys.name_pinyin,
                        keys.name_initials,
                        keys.name_key,
                        None,
                        "",  # duplicate_note
                        None,  # deleted_at: not in the recycle bin
                        None,  # deleted_by_id
                    )
                )
                changes = {
                    "kind": [None, kind],
                    "name": [None, name],
                    "industry": [None, industry],
                    "province": [None, province],
                    "city": [None, city],
                    "address": [None, address],
                    "source": [None, source],
                    "owner_id": [None, owner],
                    "team_id": [None, team],
                    "status": [None, status],
                    "since": [None, since],
                    "phone": [None, phone],
                    "phone_key": [None, phone_key],
                    "email": [None, email],
                }
                if size:
                    changes["size"] = [None, size]
                if website:
                    changes["website"] = [None, website]
                audits.append(
                    (
                        created_s,
                        None,
                        "system",
                        "system",
                        "create",
                        "customers.customer",
                        str(cid),
                        name,
                        cid,
                        json.dumps(changes, ensure_ascii=False),
                    )
                )
            self.db.write("customers_customer", CUSTOMER_COLS, rows)
            self.db.write("core_auditentry", AUDIT_COLS, audits)

    def contacts(self, plan: Plan, phones: PhoneKeys) -> None:
        from guanxi.core.text.pinyin import pinyin_keys
        from guanxi.demo.words import TITLES, format_mobile, mobile, person_name

        rng = random.Random(SEED + 2)
        pinyin_cache: dict[str, str] = {}
        channels = ["wechat", "wechat", "phone", "email", "visit", ""]
        ts = self.ts
        for block in chunks(self.scale.customers):
            rows = []
            for cid in block:
                i = cid - 1
                kind = plan.kind_values[plan.kind[i]]
                created_s = ts(plan.created(cid))
                first = int(plan.contact_start[i])
                titles = TITLES[kind]
                for j in range(int(plan.contacts[i])):
                    name = person_name(rng)
                    full = pinyin_cache.get(name)
                    if full is None:
                        full = pinyin_cache[name] = pinyin_keys(name)[0]
                    digits = mobile(rng)
                    consent = rng.random() < 0.55
                    birthday = (
                        f"{rng.randint(1962, 1998)}-{rng.randint(1, 12):02d}"
                        f"-{rng.randint(1, 28):02d}"
                        if rng.random() < 0.7
                        else None
                    )
                    rows.append(
                        (
                            first + j,
                            created_s,
                            created_s,
                            1,
                            cid,
                            name,
                            rng.choice(titles),
                            "",
                            "",
                            format_mobile(digits, rng.randrange(4)),
                            phones.mobile(digits),
                            f"{full}{rng.randint(1, 999)}@example.cn",
                            f"{full}{rng.randint(10, 9999)}",
                            birthday,
                            rng.choice(channels),
                            consent,
                            created_s if consent else None,
                            j == 0,
                            "",
                            "",  # duplicate_note
                        )
                    )
            self.db.write("customers_contact", CONTACT_COLS, rows)

    def orders(self, plan: Plan, ref: dict[str, Any]) -> None:
        rng = random.Random(SEED + 3)
        g = np.random.default_rng(SEED + 3)
        products = ref["products"]
        prod_ids = [p[0] for p in products]
        prod_names = [p[1] for p in products]
        prod_cents = [int(p[2] * 100) for p in products]
        popularity = _p([8 if c < 5_000_00 else 5 if c < 30_000_00 else 2 for c in prod_cents])
        tz = self.tz
        day_str: dict[int, str] = {}
        seq: dict[int, int] = {}
        today = TODAY.toordinal()
        status_end = {"active": 0, "prospect": 0, "dormant": 200, "lost": 500}
        for block in chunks(self.scale.customers, CHUNK // 2):
            orders, lines, entries = [], [], []
            first_order = int(plan.order_start[block[0] - 1])
            last_order = int(plan.order_start[block[-1] - 1] + plan.orders[block[-1] - 1]) - 1
            n_lines = (
                int(plan.lines[first_order - 1 : last_order].sum())
                if last_order >= first_order
                else 0
            )
            pick = g.choice(len(products), size=n_lines, p=popularity).tolist()
            qty_r = g.integers(1, 6, size=n_lines).tolist()
            disc = (g.random(n_lines) < 0.3).tolist()
            k = 0
            for cid in block:
                i = cid - 1
                count = int(plan.orders[i])
                if not count:
                    continue
                created = plan.created(cid)
                status = plan.status_values[plan.status[i]]
                lo = max(created.date().toordinal(), today - 3 * 365)
                hi = max(lo, today - status_end[status])
                days = sorted(rng.randint(lo, hi) for _ in range(count))
                oid = int(plan.order_start[i])
                for d in days:
                    ds = day_str.get(d)
                    if ds is None:
                        ds = day_str[d] = dt.date.fromordinal(d).isoformat()
                    seq[d] = seq.get(d, 0) + 1
                    number = f"SO{ds.replace('-', '')}-{seq[d]:05d}"
                    total = 0
                    body = []
                    lid = int(plan.line_start[oid - 1])
                    for j in range(int(plan.lines[oid - 1])):
                        p = pick[k]
                        cents = prod_cents[p]
                        if disc[k]:
                            cents = cents * 9 // 10
                        q = qty_r[k] if cents < 30_000_00 else 1
                        amount = q * cents
                        total += amount
                        lines.append(
                            (
                                lid + j,
                                oid,
                                prod_ids[p],
                                prod_names[p],
                                f"{q}.00",
                                _money(cents),
                                _money(amount),
                            )
                        )
                        if j < 10:
                            body.append(f"{prod_names[p]} × {q}")
                        k += 1
                    stamp = f"{ds} 04:00:00{tz}"  # 12:00 Asia/Shanghai, as order_create does
                    orders.append(
                        (
                            oid,
                            stamp,
                            stamp,
                            1,
                            cid,
                            number,
                            ds,
                            "confirmed",
                            "CNY",
                            _money(total),
                            "",
                            None,
                        )
                    )
                    if plan.order_on_timeline[oid - 1]:
                        entries.append(
                            (
                                int(plan.timeline_order_start[oid - 1]),
                                cid,
                                "order",
                                stamp,
                                f"订单 {number}，金额 ¥{total / 100:,.2f}",
                                "；".join(body),
                                None,
                                "orders.order",
                                str(oid),
                                f'{{"total": "{_money(total)}"}}',
                                stamp,
                            )
                        )
                    oid += 1
            self.db.write("customers_order", ORDER_COLS, orders)
            self.db.write("customers_orderline", LINE_COLS, lines)
            self.db.write("customers_timelineentry", TIMELINE_COLS, entries)

    def communications(self, plan: Plan, ref: dict[str, Any]) -> None:
        from guanxi.customers.models import Channel, Direction
        from guanxi.demo.words import CHANNEL_WEIGHTS, SUMMARIES

        rng = random.Random(SEED + 4)
        channels, channel_cum = _cum(CHANNEL_WEIGHTS)
        labels = {c: str(Channel(c).label) for c in channels}
        dir_labels = {d: str(Direction(d).label) for d in ("in", "out")}
        base = self.scale.timeline - self.scale.communications  # order entries come first
        ts = self.ts
        today = dt.datetime.combine(TODAY, dt.time(2, 0))
        for block in chunks(self.scale.customers):
            rows, entries = [], []
            for cid in block:
                i = cid - 1
                count = int(plan.comms[i])
                if not count:
                    continue
                created = plan.created(cid)
                span = max(1, int((today - created).total_seconds()))
                first_contact, n_contacts = int(plan.contact_start[i]), int(plan.contacts[i])
                cmid = int(plan.comm_start[i])
                for j in range(count):
                    channel = rng.choices(channels, cum_weights=channel_cum)[0]
                    direction = "in" if rng.random() < 0.25 else "out"
                    when = created + dt.timedelta(seconds=rng.randrange(span))
                    summary = rng.choice(SUMMARIES[channel]).format(
                        contact="客户", product="瀚海CRM", amount=50
                    )
                    follow = None
                    if j == count - 1 and rng.random() < 0.4:
                        follow = (TODAY + dt.timedelta(days=rng.randint(-10, 21))).isoformat()
                    stamp = ts(when)
                    contact = first_contact + rng.randrange(n_contacts)
                    staff = (
                        ref["agent"]
                        if direction == "in" and rng.random() < 0.5
                        else int(plan.owner[i])
                    )
                    rows.append(
                        (
                            cmid,
                            stamp,
                            stamp,
                            1,
                            cid,
                            contact,
                            channel,
                            direction,
                            stamp,
                            summary,
                            staff,
                            follow,
                            False,
                        )
                    )
                    data = json.dumps({"channel": channel, "next_follow_up": follow})
                    entries.append(
                        (
                            base + cmid,
                            cid,
                            "communication",
                            stamp,
                            f"{labels[channel]} · {dir_labels[direction]}",
                            summary,
                            staff,
                            "customers.communication",
                            str(cmid),
                            data,
                            stamp,
                        )
                    )
                    cmid += 1
            self.db.write("customers_communication", COMM_COLS, rows)
            self.db.write("customers_timelineentry", TIMELINE_COLS, entries)

    def preferences_and_tags(self, plan: Plan, ref: dict[str, Any]) -> None:
        from guanxi.demo.words import PREFERENCES

        rng = random.Random(SEED + 5)
        options = [
            (cat, key, values) for cat, items in PREFERENCES.items() for key, values in items
        ]
        pid = lid = 1
        ts = self.ts
        for block in chunks(self.scale.customers):
            prefs, links = [], []
            for cid in block:
                i = cid - 1
                n, t = int(plan.prefs[i]), int(plan.tags[i])
                if n:
                    stamp = ts(plan.created(cid))
                    for cat, key, values in rng.sample(options, n):
                        prefs.append((pid, stamp, stamp, 1, cid, cat, key, rng.choice(values), ""))
                        pid += 1
                for tag in rng.sample(ref["tags"], t) if t else ():
                    links.append((lid, cid, tag))
                    lid += 1
            self.db.write("customers_preference", PREF_COLS, prefs)
            self.db.write("customers_customer_tags", ["id", "customer_id", "tag_id"], links)


def _cum(pairs: Sequence[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    values, cum, total = [], [], 0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


BIG_TABLES = [
    "customers_customer",
    "customers_contact",
    "customers_order",
    "customers_orderline",
    "customers_timelineentry",
    "customers_communication",
    "customers_preference",
    "customers_customer_tags",
    "core_auditentry",
    # the projects phase (bench.projects_data)
    "projects_task",
    "projects_tasklink",
]


def _projects(scale: Scale, plan: Plan) -> None:
    from bench.projects_data import customers_of, generate

    counts = generate(scale.name, customers_of(scale.name, plan), TODAY)
    log("projects: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


#: the phases in order (their work is bound in ``main``)
PHASES: Final = ("customers", "contacts", "orders", "communications", "preferences_and_tags",
                 "projects")  # fmt: skip


def _shrunk(scale: Scale, customers: int) -> Scale:
    """``scale`` with ``customers`` customers and its other customer-side counts in
    proportion (at least one contact per customer), same name and projects."""
    f = customers / scale.customers
    return dataclasses.replace(
        scale,
        customers=customers,
        contacts=max(customers, round(scale.contacts * f)),
        orders=round(scale.orders * f),
        order_lines=max(round(scale.orders * f), round(scale.order_lines * f)),
        timeline=round(scale.timeline * f),
        communications=round(scale.communications * f),
        preferences=round(scale.preferences * f),
        tag_links=round(scale.tag_links * f),
    )


def run_phase(name: str, fn: Callable[[], None], loader: Loader, done: list[str]) -> None:
    from django.db import transaction

    if name in done:
        log(f"{name}: already generated, skipped")
        return
    started = time.perf_counter()
    with transaction.atomic():
        if loader.vendor == "postgresql":
            # Rows are consistent by construction; skip per-row FK trigger checks.
            loader.execute("SET LOCAL session_replication_role = replica")
        fn()
        done.append(name)
        state_set("phases", done)
    seconds = round(time.perf_counter() - started, 1)
    state_set("phase_s", {**state_get("phase_s", {}), name: seconds})
    log(f"{name}: {seconds} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument(
        "--phases",
        help="generate only these phases (comma-separated, e.g. customers,projects); "
        "the set is then partial: bench.run refuses it",
    )
    parser.add_argument(
        "--customers",
        type=int,
        help="fewer customers than the scale (its other customer-side counts shrink in "
        "proportion); the projects keep the scale's size",
    )
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    setup_django(scale.name)
    label = scale.name
    if args.customers:
        scale = _shrunk(scale, args.customers)
        label = f"{scale.name}/customers={scale.customers}"
    names = list(PHASES)
    wanted = names if not args.phases else [p.strip() for p in args.phases.split(",")]
    if unknown := set(wanted) - set(names):
        raise SystemExit(f"unknown phases {sorted(unknown)}; phases are {', '.join(names)}")

    from django.core.management import call_command

    check_columns()
    log(f"database: {db_label()}")
    call_command("migrate", verbosity=0, interactive=False)
    loader = Loader()
    recorded = state_get("scale")
    if recorded and recorded != label:
        raise SystemExit(f"this database holds the {recorded!r} data set; use another database")
    # A set completed before the projects phase existed gains its projects on a re-run.
    if state_get("complete") and "projects" in state_get("phases", []):
        log(
            f"{scale.name} data set already complete "
            f"(generated in {state_get('generate_s')} s); nothing to do"
        )
        return 0
    done: list[str] = state_get("phases", [])
    if not recorded and loader.count("customers_customer"):
        raise SystemExit("customers exist in a database the bench did not create; use a fresh one")
    state_set("scale", label)
    started = time.perf_counter() - float(state_get("elapsed_s", 0.0))

    phones = PhoneKeys()
    phones.verify()
    gen = Generator(scale, loader)
    ref = gen.reference_data()
    plan = Plan(scale, ref)
    log(f"plan ready ({time.perf_counter() - started:.1f} s)")
    if loader.vendor == "sqlite":
        loader.execute("PRAGMA synchronous = OFF")
        loader.execute("PRAGMA foreign_keys = OFF")
        loader.execute("PRAGMA cache_size = -1000000")
    if "indexes" not in done:
        loader.drop_indexes(BIG_TABLES)
    steps: dict[str, Callable[[], None]] = {
        "customers": lambda: gen.customers(plan, phones),
        "contacts": lambda: gen.contacts(plan, phones),
        "orders": lambda: gen.orders(plan, ref),
        "communications": lambda: gen.communications(plan, ref),
        "preferences_and_tags": lambda: gen.preferences_and_tags(plan, ref),
        "projects": lambda: _projects(scale, plan),
    }
    for name in names:
        if name in wanted:
            run_phase(name, steps[name], loader, done)
            state_set("elapsed_s", time.perf_counter() - started)
    t = time.perf_counter()
    loader.restore_indexes()
    log(f"indexes rebuilt: {time.perf_counter() - t:.1f} s")
    if missing := [name for name in names if name not in done]:
        # A partial set: indexes are back (a later run drops them again), nothing is marked
        # complete, and the figures are the phase timings.
        loader.reset_sequences(BIG_TABLES)
        loader.analyze()
        for name, seconds in state_get("phase_s", {}).items():
            print(f"generate_{name}_s: {seconds} s")
        log(f"partial data set: phases {', '.join(missing)} not generated")
        return 0
    done.append("indexes")
    state_set("phases", done)
    loader.reset_sequences(BIG_TABLES)
    t = time.perf_counter()
    loader.analyze()
    log(
        f"{'VACUUM ANALYZE' if loader.vendor == 'postgresql' else 'ANALYZE'}: "
        f"{time.perf_counter() - t:.1f} s"
    )
    if loader.vendor == "sqlite":
        loader.execute("PRAGMA foreign_keys = ON")
        loader.execute("PRAGMA synchronous = NORMAL")
    total = round(time.perf_counter() - started, 1)
    state_set("generate_s", total)
    state_set("complete", True)
    for table in BIG_TABLES:
        log(f"  {table}: {loader.count(table):,} rows")
    print(f"generate_s: {total} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
