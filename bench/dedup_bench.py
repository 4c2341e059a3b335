"""Time the duplicate scan: ``python -m bench.dedup_bench --scale small|large``.

Runs on the data set of ``bench.generate`` (same database rules: ``DATABASE_URL`` or the
bench's own SQLite file). Before the first run it plants known duplicates — copies of
existing customers written the way duplicates arrive in real data (another phone format,
the name without its legal-form suffix or in traditional characters, the e-mail in capitals,
the customer's phone only on a contact of the copy) — and records them in ``bench_state``,
so the recall of the scan can be checked as well as its speed.

Figures (printed last, one per line):

* ``dedup_scan_s`` — the first scan as admin (all customers), from an empty candidate table;
* ``dedup_rescan_s`` — the same scan again (every pair already stored: compare and keep);
* ``dedup_scan_account_manager_s`` — the scan as the account manager with the biggest book;
* ``dedup_planted_recall`` — planted pairs found / planted pairs.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from typing import Any

from bench.common import SCALES, db_label, setup_django, state_get, state_set

SEED = 4242


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ensure_tables() -> None:
    """The bench database was migrated by ``bench.generate``; create the dedup tables if the
    migrations that add them are not there yet (a developer's tree before ``makemigrations``)."""
    from django.db import connection

    from guanxi.customers.duplicates.models import CustomerMerge, DuplicateCandidate

    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in (DuplicateCandidate, CustomerMerge):
            if model._meta.db_table not in existing:
                editor.create_model(model)
                log(f"created table {model._meta.db_table}")


TRADITIONAL = str.maketrans(
    "华为东国电发业机贸银资产开实团务术网络讯数据医药疗车门广长丰兴达远际联",
    "華為東國電發業機貿銀資產開實團務術網絡訊數據醫藥療車門廣長豐興達遠際聯",
)


def plant(n: int) -> list[list[int]]:
    """Copy ``n`` random customers as duplicates; returns [[original id, copy id], ...]."""
    from django.db import transaction

    from guanxi.core.text.cleaning import normalize_phone
    from guanxi.core.text.keys import customer_search_keys
    from guanxi.customers.models import Contact, Customer

    rng = random.Random(SEED)
    last = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    picks = sorted(rng.sample(range(1, last + 1), n))
    originals = {c.pk: c for c in Customer.objects.filter(pk__in=picks)}
    copies: list[tuple[int, Customer, Contact | None]] = []
    for pk in picks:
        orig = originals.get(pk)
        if orig is None:
            continue
        variant = len(copies) % 4
        name, phone, email = orig.name, orig.phone, orig.email
        contact = None
        if variant == 0:  # same phone in another format, name without its legal form
            digits = orig.phone_key
            phone = f"+86 {digits}" if len(digits) == 11 else f"({digits[:3]}) {digits[3:]}"
            name = name.removesuffix("股份有限公司").removesuffix("有限公司") or name
            email = ""
        elif variant == 1:  # the name in traditional characters, nothing else shared
            name = name.translate(TRADITIONAL) + "有限公司"
            phone, email = "", ""
        elif variant == 2:  # e-mail in capitals, a different name
            name = f"{name}（销售部）"
            phone, email = "", orig.email.upper()
        else:  # the original's phone only on a contact of the copy
            name = f"{name}{rng.randint(2, 9)}号店"
            phone, email = "", ""
            contact = Contact(name="王经理", mobile=orig.phone, mobile_key=orig.phone_key)
        keys = customer_search_keys(name, email.lower())
        copy = Customer(
            kind=orig.kind,
            name=name,
            owner_id=orig.owner_id,
            team_id=orig.team_id,
            status=orig.status,
            province=orig.province,
            city=orig.city,
            phone=phone,
            phone_key=normalize_phone(phone) if phone else "",
            email=email.lower(),
            name_pinyin=keys.name_pinyin,
            name_initials=keys.name_initials,
            name_key=keys.name_key,
            search_text=keys.search_text,
            since=orig.since,
        )
        copies.append((pk, copy, contact))
    with transaction.atomic():
        Customer.objects.bulk_create([c for _pk, c, _contact in copies], batch_size=2000)
        contacts = []
        for _pk, copy, contact in copies:
            if contact is not None:
                contact.customer = copy
                contacts.append(contact)
        Contact.objects.bulk_create(contacts, batch_size=2000)
    return [[pk, copy.pk, i % 4] for i, (pk, copy, _contact) in enumerate(copies)]


def truncate_candidates() -> None:
    from django.db import connection

    from guanxi.customers.duplicates.models import DuplicateCandidate

    table = DuplicateCandidate._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'TRUNCATE "{table}"')
        else:
            cursor.execute(f'DELETE FROM "{table}"')


def timed_scan(actor: Any) -> tuple[float, Any]:
    from guanxi.customers.duplicates.scan import duplicate_scan

    started = time.perf_counter()
    result = duplicate_scan(actor=actor)
    return time.perf_counter() - started, result


VARIANTS = ["phone+name", "traditional name", "e-mail", "contact phone"]


def recall(planted: Sequence[Sequence[int]]) -> dict[str, float]:
    """Share of the planted pairs found, overall and per kind of duplicate."""
    from guanxi.customers.duplicates.models import DuplicateCandidate

    found_pairs: set[tuple[int, int]] = set()
    items = sorted((min(p[0], p[1]), max(p[0], p[1])) for p in planted)
    for i in range(0, len(items), 1000):
        chunk = items[i : i + 1000]
        rows = DuplicateCandidate.objects.filter(
            customer_a_id__in=[a for a, _ in chunk], customer_b_id__in=[b for _, b in chunk]
        ).values_list("customer_a_id", "customer_b_id")
        found_pairs |= set(rows) & set(chunk)
    out: dict[str, list[int]] = {"all": [0, 0]}
    for i, p in enumerate(planted):
        variant = VARIANTS[p[2] if len(p) > 2 else i % 4]
        hit = (min(p[0], p[1]), max(p[0], p[1])) in found_pairs
        for key in ("all", variant):
            out.setdefault(key, [0, 0])
            out[key][0] += hit
            out[key][1] += 1
    # Of the pairs whose original's name (or e-mail) no other generated customer shares:
    # the generator reuses names and info@ addresses across unrelated customers, and a key
    # many customers share is deliberately weak evidence (see customers.duplicates.scan).
    from guanxi.customers.models import Customer

    for i, p in enumerate(planted):
        variant = p[2] if len(p) > 2 else i % 4
        if variant not in (1, 2):
            continue
        orig = Customer.objects.filter(pk=p[0]).values("name", "email").first()
        if orig is None:
            continue
        if variant == 1:
            shared = Customer.objects.filter(name=orig["name"]).count()
        else:
            # the copy carries the same address
            shared = Customer.objects.filter(email=orig["email"]).count() - 1
        if shared == 1:
            key = f"{VARIANTS[variant]}, distinctive"
            out.setdefault(key, [0, 0])
            out[key][0] += (min(p[0], p[1]), max(p[0], p[1])) in found_pairs
            out[key][1] += 1
    return {key: round(hits / max(1, n), 3) for key, (hits, n) in out.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--plant", type=int, default=None, help="duplicates to plant (once)")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    setup_django(scale.name)

    from django.db.models import Count

    from guanxi.accounts.models import User
    from guanxi.customers.models import Customer

    log(f"database: {db_label()}")
    if not state_get("complete"):
        raise SystemExit("no complete bench data set here: run python -m bench.generate first")
    ensure_tables()
    planted = state_get("dedup_planted")
    if planted is None:
        n = args.plant if args.plant is not None else max(100, scale.customers // 200)
        t = time.perf_counter()
        planted = plant(n)
        state_set("dedup_planted", planted)
        log(f"planted {len(planted):,} duplicates ({time.perf_counter() - t:.1f} s)")
    admin = User.objects.get(username="bench_admin")
    biggest = (
        Customer.objects.filter(owner__username__startswith="bench_am")
        .values("owner_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    am = User.objects.get(pk=biggest["owner_id"]) if biggest else admin
    customers = Customer.objects.count()
    log(f"{customers:,} customers, {len(planted):,} planted duplicates")

    truncate_candidates()
    first, result = timed_scan(admin)
    log(f"scan (admin, empty table): {first:.1f} s {result.as_dict()}")
    again, result2 = timed_scan(admin)
    log(f"re-scan (admin): {again:.1f} s {result2.as_dict()}")
    found = recall(planted)
    scoped, result3 = timed_scan(am)
    log(f"scan as {am.username} (scoped): {scoped:.1f} s {result3.as_dict()}")

    print(f"customers: {customers}")
    print(f"dedup_pairs: {result.pairs}")
    print(f"dedup_common_keys_skipped: {result.common_keys_skipped}")
    print(f"dedup_scan_s: {first:.1f} s")
    print(f"dedup_rescan_s: {again:.1f} s")
    print(f"dedup_scan_account_manager_s: {scoped:.1f} s")
    print(f"dedup_planted_recall: {found['all']:.3f}")
    for variant in sorted(k for k in found if k != "all"):
        print(f"dedup_planted_recall[{variant}]: {found[variant]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
