"""Search keys for Chinese names: pinyin and pinyin initials, built without per-name phrase
segmentation.

``pypinyin.lazy_pinyin`` segments phrases and is accurate but slow (about 9,000 names/s
for full + initials), too slow for bulk import. We build a per-character table once from
pypinyin's data and fix polyphonic characters from its two-character phrases (银行 → yinhang,
重庆 → chongqing), which covers the readings that matter in organisation names.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_WORD_RE = re.compile(r"[0-9a-z]+")


def _strip_tone(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@cache
def _tables() -> tuple[dict[str, str], dict[str, frozenset[str]], dict[str, tuple[str, str]]]:
    from pypinyin import phrases_dict, pinyin_dict

    chars: dict[str, str] = {}
    readings: dict[str, frozenset[str]] = {}
    for code, value in pinyin_dict.pinyin_dict.items():
        options = [_strip_tone(v) for v in value.split(",")]
        ch = chr(code)
        chars[ch] = options[0]
        if len(set(options)) > 1:
            readings[ch] = frozenset(options)
    bigrams: dict[str, tuple[str, str]] = {}
    for phrase, pair in phrases_dict.phrases_dict.items():
        if len(phrase) != 2 or not (phrase[0] in readings or phrase[1] in readings):
            continue
        bigrams[phrase] = (_strip_tone(pair[0][0]), _strip_tone(pair[1][0]))
    return chars, readings, bigrams


def syllables(text: str) -> list[str]:
    """Pinyin syllables for the Chinese characters of ``text``; runs of ASCII letters and
    digits are kept as one lower-case word each, marked with a leading space so
    ``pinyin_keys`` keeps them whole in the initials; other characters are dropped."""
    if text.isascii():  # no Chinese characters (e-mail addresses, Latin names): words only
        return [" " + word for word in _WORD_RE.findall(text.lower())]
    chars, readings, bigrams = _tables()
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        reading = chars.get(ch)
        if reading is None:
            match = _WORD_RE.match(text, i)
            if match:
                out.append(" " + match.group())
                i = match.end()
            else:
                i += 1
            continue
        if ch in readings:
            after = bigrams.get(text[i : i + 2])
            before = bigrams.get(text[i - 1 : i + 1]) if i else None
            if after is not None:
                reading = after[0]
            elif before is not None:
                reading = before[1]
        out.append(reading)
        i += 1
    return out


def pinyin_keys(text: str) -> tuple[str, str]:
    """Return (full pinyin, initials) of ``text``: 华为技术 → ("huaweijishu", "hwjs")."""
    parts = syllables(text)
    full = "".join(p.lstrip() for p in parts)
    initials = "".join(p[1:] if p[0] == " " else p[0] for p in parts)
    return full, initials


def search_text(*values: str | None) -> str:
    """One lower-case haystack: the values themselves plus pinyin and initials of each."""
    pieces: list[str] = []
    for value in values:
        if not value:
            continue
        lowered = unicodedata.normalize("NFKC", value).lower().strip()
        pieces.append(lowered)
        full, initials = pinyin_keys(value)
        if full and full != lowered:
            pieces.append(full)
            if initials != full:  # an ASCII value's "initials" are the value again
                pieces.append(initials)
    return " ".join(pieces)[:1000]


def normalize_query(query: str) -> str:
    return unicodedata.normalize("NFKC", query).lower().strip()
