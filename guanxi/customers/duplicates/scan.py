"""Duplicate customers in existing data (A6): match keys, scoring and the scan.

Keys
----
* phone: ``normalize_phone`` keys (``Customer.phone_key``, ``Contact.phone_key`` and
  ``mobile_key``), so ``+86 138-0013-8000`` and ``13800138000`` are one key;
* e-mail: the lower-cased address of the customer and of its contacts;
* name: :func:`guanxi.core.text.keys.name_key` — half-width, case-folded, without spaces,
  punctuation and legal-form suffixes (``normalize_name_key``), common traditional characters
  simplified first (the key ``Customer.name_key`` stores and the import matches by);
* name pinyin: :func:`pinyin_key` of the name key, which also matches 華為 with 华为 for
  characters the simplification table does not know, and 华为 with "Huawei".

A shared key involving a customer's own phone or e-mail is strong evidence (``phone``,
``email``); one shared only between contacts of the two customers is weaker
(``contact_phone``, ``contact_email``: a consultant or a group's buyer can serve several
customers — alone it does not make a candidate, with any other reason it does). A name shared
by two customers whose own phones differ *and* whose own e-mail addresses differ is weaker
evidence still (``name_conflicting``: 深圳华信科技有限公司 and 深圳华信科技股份有限公司, each
with its own number and address, are as often two companies as one): it makes a candidate
for review, never a match an import takes by itself. A pinyin match
counts only between a name written in Latin letters and one in Chinese characters (Huawei /
华为): two different Chinese names that sound the same are usually two companies.

Each reason has a weight, lowered for a key many customers share (the evidence a shared key
gives about one pair falls with the number of customers sharing it: a number three records
share is likely one customer's, one twenty share is a switchboard). A pair's score is
``100 * (1 - Π(1 - weight))`` over its reasons (a "noisy or": more independent evidence, a
higher score, never above 100); pairs scoring at least :data:`MIN_SCORE` become candidates.
An import takes a row for an existing customer by itself only when the pair scores at least
:data:`AUTO_MATCH_SCORE` (:func:`same_customer`); below that, a candidate for review.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any, Final

import numpy as np
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core.errors import PermissionDenied
from guanxi.core.models import Job
from guanxi.core.text.keys import name_key
from guanxi.customers.duplicates.models import (
    OWNER_REVIEW,
    REASON_CODES,
    CandidateStatus,
    DuplicateCandidate,
    DuplicateReason,
)
from guanxi.customers.models import Contact, Customer

Report = Callable[[float, str], None]

WEIGHTS: Final[dict[int, float]] = {
    DuplicateReason.PHONE: 0.70,
    DuplicateReason.EMAIL: 0.70,
    DuplicateReason.NAME: 0.60,
    DuplicateReason.NAME_PINYIN: 0.50,
    DuplicateReason.CONTACT_PHONE: 0.40,
    DuplicateReason.CONTACT_EMAIL: 0.40,
    DuplicateReason.NAME_CONFLICTING: 0.50,
}
MIN_SCORE: Final = 50
#: from this score a row is taken for the existing customer without review (a shared own
#: phone or e-mail, or a name without conflicting identifiers; not ``name_conflicting``)
AUTO_MATCH_SCORE: Final = 60
RARE: Final = 3  # a key shared by at most this many customers counts with its full weight
MAX_BLOCK: Final = 20
MIN_PINYIN_KEY: Final = 4


@cache
def _pinyin_table() -> dict[int, str]:
    # The per-character readings ``core.text.pinyin`` builds once; ``str.translate`` with
    # them is ~15x faster than ``pinyin_keys`` (no polyphone context, which a key can do
    # without: the same character always gets the same reading, in both names of a pair).
    from guanxi.core.text.pinyin import _tables

    return {ord(ch): reading for ch, reading in _tables()[0].items()}


def pinyin_key(key: str) -> str:
    """Pinyin of a :func:`name_key` (ASCII letters and digits kept), ``""`` when too short to
    mean anything."""
    if not key:
        return ""
    spelled = key if key.isascii() else key.translate(_pinyin_table())
    if not spelled.isascii():  # characters without a reading: no pinyin evidence
        spelled = "".join(ch for ch in spelled if ch.isascii())
    return spelled if len(spelled) >= MIN_PINYIN_KEY else ""


# --------------------------------------------------------------------------------------
# Pairwise matching and scoring


@dataclass(frozen=True)
class MatchKeys:
    """The keys of one customer. ``phones``/``emails`` are the customer's own,
    ``contact_*`` those of its contacts."""

    name: str = ""
    pinyin: str = ""
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    contact_phones: frozenset[str] = frozenset()
    contact_emails: frozenset[str] = frozenset()


def match_keys(
    *,
    name: str,
    phone_keys: Iterable[str] = (),
    emails: Iterable[str] = (),
    contact_phone_keys: Iterable[str] = (),
    contact_emails: Iterable[str] = (),
) -> MatchKeys:
    """Keys from already-normalised phone keys and raw e-mail addresses (lower-cased here).
    Used by the scan's tests, the merge page and the importer's duplicate matching."""
    key = name_key(name)
    return MatchKeys(
        name=key,
        pinyin=pinyin_key(key),
        phones=frozenset(p for p in phone_keys if p),
        emails=frozenset(e.strip().lower() for e in emails if e and e.strip()),
        contact_phones=frozenset(p for p in contact_phone_keys if p),
        contact_emails=frozenset(e.strip().lower() for e in contact_emails if e and e.strip()),
    )


def keys_of(customer: Customer) -> MatchKeys:
    contacts = list(customer.contacts.values_list("phone_key", "mobile_key", "email"))
    return match_keys(
        name=customer.name,
        phone_keys=[customer.phone_key],
        emails=[customer.email],
        contact_phone_keys=[k for c in contacts for k in c[:2]],
        contact_emails=[c[2] for c in contacts],
    )


def _shared(
    own_a: frozenset[str], other_a: frozenset[str], own_b: frozenset[str], other_b: frozenset[str]
) -> tuple[bool, bool]:
    """(a shared key involves a customer's own value, a shared key is contacts' only)."""
    shared = (own_a | other_a) & (own_b | other_b)
    strong = any(k in own_a or k in own_b for k in shared)
    weak = any(k not in own_a and k not in own_b for k in shared)
    return strong, weak


def match_reasons(a: MatchKeys, b: MatchKeys) -> int:
    """The reason bits (``DuplicateReason``) of a pair; symmetric in ``a`` and ``b``."""
    mask = 0
    strong, weak = _shared(a.phones, a.contact_phones, b.phones, b.contact_phones)
    mask |= DuplicateReason.PHONE if strong else 0
    mask |= DuplicateReason.CONTACT_PHONE if weak else 0
    strong, weak = _shared(a.emails, a.contact_emails, b.emails, b.contact_emails)
    mask |= DuplicateReason.EMAIL if strong else 0
    mask |= DuplicateReason.CONTACT_EMAIL if weak else 0
    if a.name and a.name == b.name:
        conflicting = identifiers_conflict(a.phones, a.emails, b.phones, b.emails)
        mask |= DuplicateReason.NAME_CONFLICTING if conflicting else DuplicateReason.NAME
    elif a.pinyin and a.pinyin == b.pinyin and a.name.isascii() != b.name.isascii():
        mask |= DuplicateReason.NAME_PINYIN
    return mask


def identifiers_conflict(
    phones_a: Iterable[str],
    emails_a: Iterable[str],
    phones_b: Iterable[str],
    emails_b: Iterable[str],
) -> bool:
    """Whether both customers have their own phone and share none, and both their own
    e-mail address and share none (e-mail addresses lower-cased by the caller; a phone key
    of several numbers, ``a;b``, is each of them)."""
    pa, pb = (frozenset(p for v in vs for p in v.split(";") if p) for vs in (phones_a, phones_b))
    ea, eb = (frozenset(v for v in vs if v) for vs in (emails_a, emails_b))
    return bool(pa and pb and not pa & pb and ea and eb and not ea & eb)


def pair_score(a: MatchKeys, b: MatchKeys) -> tuple[int, int]:
    """(reason bits, score) of two customers' keys: what the scan stores for the pair."""
    mask = match_reasons(a, b)
    return mask, score(mask)


def same_customer(a: MatchKeys, b: MatchKeys) -> bool:
    """Whether an import may take ``a`` for ``b`` without review (see the module doc)."""
    return pair_score(a, b)[1] >= AUTO_MATCH_SCORE


def reason_weight(bit: int, shared_by: int = 2) -> float:
    """The weight of one reason whose key ``shared_by`` customers share."""
    weight = WEIGHTS[bit]
    return weight if shared_by <= RARE else weight * RARE / shared_by


def score(mask: int, shared_by: Mapping[int, int] | None = None) -> int:
    """0–100 from the reason bits: a noisy-or of the reasons' weights; ``shared_by`` gives
    for a reason the number of customers sharing its key (2 when not given)."""
    miss = 1.0
    for bit in WEIGHTS:
        if mask & bit:
            miss *= 1.0 - reason_weight(bit, (shared_by or {}).get(bit, 2))
    return round(100 * (1.0 - miss))


def reason_codes(mask: int) -> list[str]:
    return [code for bit, code in REASON_CODES.items() if mask & bit]


_BASE_WEIGHT: Final = np.zeros(2 * max(WEIGHTS), dtype=np.float64)
for _bit, _weight in WEIGHTS.items():
    _BASE_WEIGHT[_bit] = _weight


# --------------------------------------------------------------------------------------
# The scan


@dataclass
class ScanResult:
    customers: int = 0
    pairs: int = 0  # pairs at or above MIN_SCORE found by this scan
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # open candidates no longer found
    dismissed_skipped: int = 0
    common_keys_skipped: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def can_scan(actor: Any) -> bool:
    return permissions.can_scan_duplicates(actor)


class _Pairs:
    """Candidate pairs with the reason and the size of the key block each came from,
    accumulated as flat lists."""

    def __init__(self) -> None:
        self.a: list[int] = []
        self.b: list[int] = []
        self.bits: list[int] = []
        self.sizes: list[int] = []
        self.skipped = 0

    def extend(self, other: _Pairs) -> None:
        self.a += other.a
        self.b += other.b
        self.bits += other.bits
        self.sizes += other.sizes
        self.skipped += other.skipped

    def _emit(self, pairs: Iterable[tuple[int, int]], bit: int, size: int) -> None:
        for x, y in pairs:
            self.a.append(x)
            self.b.append(y)
            self.bits.append(bit)
            self.sizes.append(size)

    def block(self, members: dict[int, bool], strong: int, weak: int) -> None:
        """Pair every two customers of one key block; ``members`` maps customer id to whether
        the key is the customer's own (strong) or only a contact's."""
        size = len(members)
        if size < 2:
            return
        if size > MAX_BLOCK:
            self.skipped += 1
            return
        for x, y in itertools.combinations(sorted(members), 2):
            self._emit([(x, y)], strong if members[x] or members[y] else weak, size)

    def name_block(
        self, ids: Sequence[int], own: Mapping[int, tuple[str, str]] | None = None
    ) -> None:
        """Pairs of one name key; ``own`` maps a customer id to its own (phone key,
        lower-cased e-mail): a pair whose phones and e-mails both differ is
        ``name_conflicting`` (see :func:`identifiers_conflict`)."""
        if len(ids) < 2:
            return
        if len(ids) > MAX_BLOCK:
            self.skipped += 1
            return
        own = own or {}
        for x, y in itertools.combinations(sorted(ids), 2):
            (px, ex), (py, ey) = own.get(x, ("", "")), own.get(y, ("", ""))
            conflicting = identifiers_conflict((px,), (ex,), (py,), (ey,))
            bit = DuplicateReason.NAME_CONFLICTING if conflicting else DuplicateReason.NAME
            self._emit([(x, y)], bit, len(ids))

    def pinyin_block(self, members: Sequence[tuple[int, bool]]) -> None:
        """Pairs of a Latin-letter name with a Chinese name of the same pinyin."""
        latin = [cid for cid, ascii_name in members if ascii_name]
        chinese = [cid for cid, ascii_name in members if not ascii_name]
        if not latin or not chinese:
            return
        if len(members) > MAX_BLOCK:
            self.skipped += 1
            return
        pairs = ((min(x, y), max(x, y)) for x in latin for y in chinese)
        self._emit(pairs, DuplicateReason.NAME_PINYIN, len(members))

    def reduce(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Unique pairs (a < b) with their reason bits and score. Per reason the smallest
        block counts (the rarest shared key); the reasons combine as in :func:`score`."""
        if not self.a:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.int16), np.zeros(0, dtype=np.int16)
        a = np.asarray(self.a, dtype=np.int64)
        b = np.asarray(self.b, dtype=np.int64)
        bits = np.asarray(self.bits, dtype=np.int16)
        sizes = np.asarray(self.sizes, dtype=np.int32)
        order = np.lexsort((bits, b, a))
        a, b, bits, sizes = a[order], b[order], bits[order], sizes[order]
        new_pair = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
        starts = np.flatnonzero(new_pair | np.r_[True, bits[1:] != bits[:-1]])
        a, b, bits = a[starts], b[starts], bits[starts]
        sizes = np.minimum.reduceat(sizes, starts)
        weight = _BASE_WEIGHT[bits]
        weight = np.where(sizes <= RARE, weight, weight * RARE / sizes)
        pair_starts = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
        miss = np.multiply.reduceat(1.0 - weight, pair_starts)
        mask = np.bitwise_or.reduceat(bits, pair_starts)
        scores = np.round(100 * (1.0 - miss)).astype(np.int16)
        return a[pair_starts], b[pair_starts], mask, scores


def _key_rows(querysets: Sequence[QuerySet[Any]]) -> Iterator[tuple[str, int, int]]:
    """(key, customer id, own) rows of keys shared by at least two rows, ordered by key.
    The union and the counting run in the database: only shared keys come back."""
    union = querysets[0].union(*querysets[1:], all=True)
    try:
        sql, params = union.query.sql_with_params()
    except EmptyResultSet:  # an actor who may see no customer
        return
    # ``sql`` is Django's own compiled query; every value is a parameter.
    wrapped = (
        "SELECT k, cid, own FROM (SELECT u.k AS k, u.cid AS cid, u.own AS own, "  # noqa: S608
        f"COUNT(*) OVER (PARTITION BY u.k) AS n FROM ({sql}) u) w "
        "WHERE n >= 2 AND n <= %s ORDER BY k"
    )
    with connection.cursor() as cursor:
        cursor.execute(wrapped, [*params, MAX_BLOCK * 4])
        while rows := cursor.fetchmany(20_000):
            yield from rows


def _block_keys(
    rows: Iterator[tuple[str, int, int]], pairs: _Pairs, strong: int, weak: int
) -> None:
    for _key, group in itertools.groupby(rows, key=lambda r: r[0]):
        members: dict[int, bool] = {}
        for _k, cid, own in group:
            members[cid] = members.get(cid, False) or bool(own)
        pairs.block(members, strong, weak)


def _key_pairs_in_thread(querysets: Sequence[QuerySet[Any]], strong: int, weak: int) -> _Pairs:
    pairs = _Pairs()
    try:
        _block_keys(_key_rows(querysets), pairs, strong, weak)
    finally:
        connections.close_all()  # this thread's connections only
    return pairs


def _phone_querysets(actor: Any) -> list[QuerySet[Any]]:
    customers = permissions.scope_customers(actor, Customer.objects.exclude(phone_key=""))
    contacts = permissions.scope_by_customer(actor, Contact.objects.all())
    return [
        customers.values(k=F("phone_key"), cid=F("id"), own=Value(1)).order_by(),
        contacts.exclude(phone_key="")
        .values(k=F("phone_key"), cid=F("customer_id"), own=Value(0))
        .order_by(),
        contacts.exclude(mobile_key="")
        .values(k=F("mobile_key"), cid=F("customer_id"), own=Value(0))
        .order_by(),
    ]


def _email_querysets(actor: Any) -> list[QuerySet[Any]]:
    customers = permissions.scope_customers(actor, Customer.objects.exclude(email=""))
    contacts = permissions.scope_by_customer(actor, Contact.objects.exclude(email=""))
    return [
        customers.values(k=Lower("email"), cid=F("id"), own=Value(1)).order_by(),
        contacts.values(k=Lower("email"), cid=F("customer_id"), own=Value(0)).order_by(),
    ]


def _name_blocks(actor: Any, pairs: _Pairs) -> int:
    """Group customers by name key and by pinyin key; returns the number of customers."""
    by_name: dict[str, Any] = {}
    by_pinyin: dict[str, Any] = {}
    n = 0
    rows = permissions.scope_customers(actor, Customer.objects.all()).values_list("id", "name")
    for cid, name in rows.order_by().iterator(chunk_size=20_000):
        n += 1
        key = name_key(name)
        if not key:
            continue
        _add(by_name, key, cid)
        spelled = pinyin_key(key)
        if spelled:
            _add(by_pinyin, spelled, (cid, key.isascii()))
    blocks = [ids for ids in by_name.values() if isinstance(ids, list) and len(ids) <= MAX_BLOCK]
    own = _own_identifiers([cid for ids in blocks for cid in ids])
    for ids in by_name.values():
        if isinstance(ids, list):
            pairs.name_block(ids, own)
    for members in by_pinyin.values():
        if isinstance(members, list):
            pairs.pinyin_block(members)
    return n


def _own_identifiers(ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Customer id → (phone key, lower-cased e-mail) of the customers sharing a name (few:
    read by id rather than with every name)."""
    out: dict[int, tuple[str, str]] = {}
    for batch in _batches(sorted(ids)):
        rows = Customer.objects.filter(pk__in=batch).values_list("id", "phone_key", "email")
        for cid, phone_key, email in rows.order_by():
            out[cid] = (phone_key or "", (email or "").strip().lower())
    return out


def _add(index: dict[str, Any], key: str, cid: Any) -> None:
    # One int per key until a second customer shares it: most keys are unique, and a
    # million one-element lists would cost more memory than the scan needs.
    found = index.get(key)
    if found is None:
        index[key] = cid
    elif isinstance(found, list):
        found.append(cid)
    else:
        index[key] = [found, cid]


def _batches(values: Sequence[Any], size: int = 2000) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def duplicate_scan(*, actor: Any, report: Report | None = None) -> ScanResult:
    """Find duplicate pairs among the customers ``actor`` may see and bring the open
    candidates in that scope up to date: new pairs added, changed scores updated, open pairs
    no longer found removed; dismissed pairs stay dismissed and are not offered again."""
    if not can_scan(actor):
        raise PermissionDenied(_("你没有查找重复客户的权限。"))
    started = time.perf_counter()
    result = ScanResult()
    say = report or (lambda pct, msg: None)

    def lap(name: str, t0: float) -> float:
        now = time.perf_counter()
        result.phases[name] = round(now - t0, 2)
        return now

    t = time.perf_counter()
    say(2, _("正在比对电话、邮箱和名称……"))
    key_scans = [
        (_phone_querysets(actor), DuplicateReason.PHONE, DuplicateReason.CONTACT_PHONE),
        (_email_querysets(actor), DuplicateReason.EMAIL, DuplicateReason.CONTACT_EMAIL),
    ]
    pairs = _Pairs()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The phone and e-mail grouping is work for the database; the name keys are work
        # for Python. Done side by side (each key query on its own connection), the scan
        # takes about as long as the names alone.
        with ThreadPoolExecutor(max_workers=len(key_scans)) as pool:
            futures = [pool.submit(_key_pairs_in_thread, *scan) for scan in key_scans]
            result.customers = _name_blocks(actor, pairs)
            t = lap("names", t)
            for future in futures:
                pairs.extend(future.result())
        t = lap("keys", t)
    else:
        for querysets, strong, weak in key_scans:
            _block_keys(_key_rows(querysets), pairs, strong, weak)
        t = lap("keys", t)
        say(35, _("正在比对名称……"))
        result.customers = _name_blocks(actor, pairs)
        t = lap("names", t)
    say(70, _("正在计算相似度……"))
    a, b, mask, scores = pairs.reduce()
    keep = scores >= MIN_SCORE
    a, b, mask, scores = a[keep], b[keep], mask[keep], scores[keep]
    result.pairs = len(a)
    result.common_keys_skipped = pairs.skipped
    del pairs
    t = lap("scoring", t)
    say(80, _("正在保存结果……"))
    _store(actor, a, b, mask, scores, result)
    lap("store", t)
    result.seconds = round(time.perf_counter() - started, 2)
    say(100, _("完成：发现 %(n)s 对疑似重复客户。") % {"n": result.pairs})
    return result


def _store(
    actor: Any,
    a: np.ndarray,
    b: np.ndarray,
    mask: np.ndarray,
    scores: np.ndarray,
    result: ScanResult,
) -> None:
    with transaction.atomic():
        existing = _scoped_candidates(actor).values_list(
            "id", "customer_a_id", "customer_b_id", "status", "score", "reason_mask"
        )
        ex = list(existing.order_by().iterator(chunk_size=50_000))
        width = 1 + max(int(b.max(initial=0)), max((r[2] for r in ex), default=0))
        if width > 3_000_000_000:  # pair keys a * width + b must fit in 64 bits
            raise ValueError("customer ids too large for the duplicate scan")
        new_keys = a * width + b
        if ex:
            ex_ids = np.fromiter((r[0] for r in ex), dtype=np.int64, count=len(ex))
            ex_keys = np.fromiter((r[1] * width + r[2] for r in ex), dtype=np.int64, count=len(ex))
            ex_open = np.fromiter(
                (r[3] == CandidateStatus.OPEN for r in ex), dtype=bool, count=len(ex)
            )
            ex_score = np.fromiter((r[4] for r in ex), dtype=np.int16, count=len(ex))
            ex_mask = np.fromiter((r[5] for r in ex), dtype=np.int16, count=len(ex))
            del ex
            order = np.argsort(ex_keys)
            ex_ids, ex_keys = ex_ids[order], ex_keys[order]
            ex_open, ex_score, ex_mask = ex_open[order], ex_score[order], ex_mask[order]
            pos = np.searchsorted(ex_keys, new_keys)
            pos_c = np.minimum(pos, len(ex_keys) - 1)
            found = (pos < len(ex_keys)) & (ex_keys[pos_c] == new_keys)
            hit = pos_c[found]
            result.dismissed_skipped = int((~ex_open[hit]).sum())
            open_hit = found.copy()
            open_hit[found] = ex_open[hit]
            changed = open_hit.copy()
            changed[open_hit] = (ex_mask[pos_c[open_hit]] != mask[open_hit]) | (
                ex_score[pos_c[open_hit]] != scores[open_hit]
            )
            result.unchanged = int(open_hit.sum() - changed.sum())
            _update(ex_ids[pos_c[changed]], mask[changed], scores[changed])
            result.updated = int(changed.sum())
            seen = np.zeros(len(ex_keys), dtype=bool)
            seen[hit] = True
            stale = ex_ids[ex_open & ~seen]
            for batch in _batches(stale.tolist()):
                DuplicateCandidate.objects.filter(pk__in=batch).delete()
            result.removed = len(stale)
            new = ~found
        else:
            new = np.ones(len(a), dtype=bool)
        result.created = _insert(a[new], b[new], mask[new], scores[new])


def candidates_add(pairs: Sequence[tuple[int, int, int, int]]) -> int:
    """Open candidates for (customer id, customer id, reason bits, score) pairs found
    outside a scan (an import's rows that were not taken for an existing customer); a pair
    already known, open or dismissed, is left as it is. Returns how many were added."""
    rows = {(min(x, y), max(x, y)): (m, s) for x, y, m, s in pairs if x != y and s >= MIN_SCORE}
    if not rows:
        return 0
    known: set[tuple[int, int]] = set()
    for lo in _batches(sorted({a for a, _b in rows})):
        known.update(
            DuplicateCandidate.objects.filter(customer_a_id__in=lo).values_list(
                "customer_a_id", "customer_b_id"
            )
        )
    new = [
        DuplicateCandidate(customer_a_id=a, customer_b_id=b, reason_mask=m, score=s)
        for (a, b), (m, s) in rows.items()
        if (a, b) not in known
    ]
    DuplicateCandidate.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    return len(new)


def _scoped_candidates(actor: Any) -> QuerySet[DuplicateCandidate]:
    qs = permissions.scope_by_customer(
        actor, DuplicateCandidate.objects.all(), prefix="customer_a__"
    )
    return permissions.scope_by_customer(actor, qs, prefix="customer_b__")


def _update(ids: np.ndarray, mask: np.ndarray, scores: np.ndarray) -> None:
    # Few distinct (mask, score) values exist (at most 64): one UPDATE per value and batch.
    for m in np.unique(mask).tolist():
        picked = mask == m
        s = int(scores[picked][0])
        for batch in _batches(ids[picked].tolist()):
            DuplicateCandidate.objects.filter(pk__in=batch, reason_mask__lt=OWNER_REVIEW).update(
                score=s, reason_mask=m
            )
            DuplicateCandidate.objects.filter(pk__in=batch, reason_mask__gte=OWNER_REVIEW).update(
                score=s, reason_mask=m | OWNER_REVIEW
            )


# Pairs per INSERT on PostgreSQL: bounds the statement's parameters (four arrays).
INSERT_BLOCK: Final = 200_000


def _insert(a: np.ndarray, b: np.ndarray, mask: np.ndarray, scores: np.ndarray) -> int:
    if not len(a):
        return 0
    if connection.vendor == "postgresql":
        return _insert_copy(a, b, mask, scores)
    # Customers deleted (merged) since they were read are left out rather than failing.
    alive: set[int] = set()
    ids = np.unique(np.concatenate([a, b])).tolist()
    for batch in _batches(ids, 5000):
        alive.update(Customer.objects.filter(pk__in=batch).values_list("pk", flat=True))
    rows = [
        DuplicateCandidate(customer_a_id=x, customer_b_id=y, reason_mask=m, score=s)
        for x, y, m, s in zip(a.tolist(), b.tolist(), mask.tolist(), scores.tolist(), strict=True)
        if x in alive and y in alive
    ]
    before = DuplicateCandidate.objects.count()
    DuplicateCandidate.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return DuplicateCandidate.objects.count() - before


def _insert_copy(a: np.ndarray, b: np.ndarray, mask: np.ndarray, scores: np.ndarray) -> int:
    """PostgreSQL: the pairs as arrays, ``INSERT … SELECT FROM unnest(…)`` in blocks, which
    skips pairs a concurrent scan inserted and customers merged away meanwhile (no temporary
    table: no DDL in a service)."""
    table = connection.ops.quote_name(DuplicateCandidate._meta.db_table)
    customers = connection.ops.quote_name(Customer._meta.db_table)
    sql = (
        f"INSERT INTO {table} (customer_a_id, customer_b_id, reason_mask, score, status, "  # noqa: S608
        "created_at, updated_at) SELECT n.a, n.b, n.m, n.s, %s, now(), now() "
        "FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::smallint[]) "
        "AS n (a, b, m, s) "
        f"JOIN {customers} ca ON ca.id = n.a JOIN {customers} cb ON cb.id = n.b "
        # In key order the unique index is filled front to back: twice as fast.
        "ORDER BY n.a, n.b ON CONFLICT (customer_a_id, customer_b_id) DO NOTHING"
    )
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(a), INSERT_BLOCK):
            stop = start + INSERT_BLOCK
            cursor.execute(
                sql,
                [
                    CandidateStatus.OPEN.value,
                    a[start:stop].tolist(),
                    b[start:stop].tolist(),
                    mask[start:stop].tolist(),
                    scores[start:stop].tolist(),
                ],
            )
            inserted += int(cursor.rowcount)
    return inserted


# --------------------------------------------------------------------------------------
# The scan as a job


def duplicate_scan_start(*, actor: Any) -> Job:
    """Start the scan as a background job of ``actor`` (whose scope it scans)."""
    from guanxi.core.jobs import enqueue_on_commit, job_create
    from guanxi.customers.duplicates.tasks import scan_duplicates

    if not can_scan(actor):
        raise PermissionDenied(_("你没有查找重复客户的权限。"))
    with transaction.atomic():
        job = job_create(kind="dedup_scan", actor=actor)
        enqueue_on_commit(scan_duplicates, str(job.pk))
    return job
