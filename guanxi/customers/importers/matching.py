"""Finding the existing customer a row duplicates or refers to.

Keys are the ones the duplicate scan compares: the phone key, the lower-cased e-mail
address, and the name key of ``guanxi.core.text.keys`` (half-width, case-folded, without
spaces, punctuation and legal-form suffixes, traditional characters simplified:
華為技術有限公司 = 华为技术 有限公司 = 华为技术), which ``Customer.name_key`` stores.
Each kind of key is looked up for a whole chunk of rows with one indexed query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, TypeVar

from django.db import connections, router

from guanxi.core.text.keys import stored_name_key
from guanxi.customers.models import Contact, Customer

T = TypeVar("T")

IN_BATCH: Final = 2000
_SEPARATOR: Final = "\x1f"  # the ASCII unit separator: never part of a cleaned value


class CustomerKeys(NamedTuple):
    """What identifies a customer in one row; an empty key is not used. (A tuple: it
    crosses the import worker's pipe much faster than a dataclass.)"""

    phone_key: str = ""
    email: str = ""
    name: str = ""
    name_key: str = ""


def customer_keys(
    *, name: str = "", phone_key: str = "", email: str = "", match_name: bool = True
) -> CustomerKeys:
    return CustomerKeys(
        phone_key=phone_key.split(";", 1)[0],
        email=email,
        name=name if match_name else "",
        name_key=stored_name_key(name) if (name and match_name) else "",
    )


@dataclass(frozen=True, slots=True)
class Match:
    customer_id: int
    by: str  # "phone" | "email" | "name"


def _batches(items: Sequence[T], size: int = IN_BATCH) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _first_ids(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """key → lowest id (the oldest of existing duplicates)."""
    out: dict[str, int] = {}
    for key, pk in pairs:
        if key and (key not in out or pk < out[key]):
            out[key] = pk
    return out


def _pairs(
    model: type[Any], column: str, key_col: str, values: Sequence[str], *, nonempty: bool = False
) -> list[tuple[Any, Any]]:
    """``(key_col, column)`` pairs of the rows whose ``column`` is one of ``values``: one
    query with an array parameter on PostgreSQL (building and planning a 30,000-item IN
    list costs more than the lookup), batched ``IN`` lists elsewhere. ``nonempty`` says
    ``NOT (key_col = '')`` too, in the words of a partial index of the non-empty keys:
    neither database uses such an index for a look-up that does not say so."""
    if not values:
        return []
    conn = connections[router.db_for_read(model)]
    if conn.vendor == "postgresql":
        quote = conn.ops.quote_name
        table, key, col = quote(model._meta.db_table), quote(key_col), quote(column)
        param: list[str] | str
        if any(_SEPARATOR in v for v in values):
            keys, param = "unnest(%s::text[])", list(values)
        else:
            # one joined string: psycopg adapts a list of str item by item in Python
            # (about 3 ms per 1,000 items), ``string_to_array`` splits it in C
            keys, param = "unnest(string_to_array(%s, chr(31)))", _SEPARATOR.join(values)
        # One index probe per key, always: given "key = ANY(5,000 keys)" the planner
        # expects thousands of rows and scans the whole table instead (at 1,000,000
        # customers 80-220 ms per look-up against about 15 ms for the probes; measured).
        # The LATERAL subquery with OFFSET 0 cannot be flattened into a hash join.
        nonempty_sql = f" AND NOT (t.{key} = '')" if nonempty else ""
        sql = (
            f"SELECT m.{key}, m.{col} FROM {keys} AS k(v) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT t.{key}, t.{col} FROM {table} AS t "
            f"WHERE t.{key} = k.v{nonempty_sql} OFFSET 0) AS m"
        )
        with conn.cursor() as cursor:
            cursor.execute(sql, [param])
            return list(cursor.fetchall())
    out: list[tuple[Any, Any]] = []
    for batch in _batches(values):
        qs = model._default_manager.filter(**{f"{key_col}__in": batch})
        if nonempty:
            qs = qs.exclude(**{key_col: ""})
        out.extend(qs.values_list(key_col, column))
    return out


def find_customer_matches(
    rows: Sequence[CustomerKeys], *, include_contacts: bool = False
) -> dict[int, Match]:
    """Row index → the existing customer it matches, by phone, then e-mail, then name
    key. With ``include_contacts`` a phone also matches a customer through one of its
    contacts' phones (for files that name a customer by a contact's number)."""
    phones = sorted({k.phone_key for k in rows if k.phone_key})
    emails = sorted({k.email for k in rows if k.email})
    by_phone = _first_ids(_pairs(Customer, "id", "phone_key", phones))
    if include_contacts:
        rest = [p for p in phones if p not in by_phone]
        pairs = _pairs(Contact, "customer_id", "mobile_key", rest)
        pairs += _pairs(Contact, "customer_id", "phone_key", rest)
        for key, pk in _first_ids(pairs).items():
            by_phone.setdefault(key, pk)
    by_email = _first_ids(_pairs(Customer, "id", "email", emails))
    name_keys = sorted({k.name_key for k in rows if k.name_key})
    by_name = _first_ids(_pairs(Customer, "id", "name_key", name_keys, nonempty=True))
    out: dict[int, Match] = {}
    for i, k in enumerate(rows):
        if k.phone_key and k.phone_key in by_phone:
            out[i] = Match(by_phone[k.phone_key], "phone")
        elif k.email and k.email in by_email:
            out[i] = Match(by_email[k.email], "email")
        elif k.name_key and k.name_key in by_name:
            out[i] = Match(by_name[k.name_key], "name")
    return out


def find_existing_customers(rows: Sequence[CustomerKeys]) -> dict[int, int]:
    """Row index → id of the existing customer the row duplicates (see module doc)."""
    return {i: m.customer_id for i, m in find_customer_matches(rows).items()}


class FileKeyIndex:
    """Keys of the rows already taken in this file (matched or created), so a later row
    that repeats an earlier one is treated as the same customer."""

    def __init__(self) -> None:
        self.phone: dict[str, int] = {}
        self.email: dict[str, int] = {}
        self.name: dict[str, int] = {}

    def find(self, k: CustomerKeys) -> tuple[int, str] | None:
        if k.phone_key and k.phone_key in self.phone:
            return self.phone[k.phone_key], "phone"
        if k.email and k.email in self.email:
            return self.email[k.email], "email"
        if k.name_key and k.name_key in self.name:
            return self.name[k.name_key], "name"
        return None

    def add(self, k: CustomerKeys, ref: int) -> None:
        if k.phone_key:
            self.phone.setdefault(k.phone_key, ref)
        if k.email:
            self.email.setdefault(k.email, ref)
        if k.name_key:
            self.name.setdefault(k.name_key, ref)
