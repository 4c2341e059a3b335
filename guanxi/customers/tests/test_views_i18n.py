"""The English translation is complete and compiled, and the UI switches language."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from guanxi.customers.services import customer_create, customer_update

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
HAN = re.compile(r"[\u4e00-\u9fff]")


def _po_entries() -> list[dict[str, object]]:
    """Parse the .po file: each entry's msgctxt, msgid, msgid_plural, msgstr(s) and flags."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, object] = {"flags": "", "msgstr": []}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = line
            elif line.startswith("#"):
                continue
            elif match := re.match(
                r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line
            ):
                key, value = match.group(1), ast.literal_eval(match.group(2))
                if key.startswith("msgstr"):
                    entry["msgstr"].append(value)  # type: ignore[union-attr]
                else:
                    entry[key] = value
            elif line.startswith('"') and key:
                value = ast.literal_eval(line)
                if key.startswith("msgstr"):
                    entry["msgstr"][-1] += value  # type: ignore[index]
                else:
                    entry[key] += value  # type: ignore[operator]
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def test_every_english_msgid_has_a_translation():
    entries = _po_entries()
    assert len(entries) > 300
    missing = [e["msgid"] for e in entries if not all(e["msgstr"])]  # type: ignore[arg-type]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in str(e["flags"])]
    assert not missing, f"untranslated msgids in {PO}: {missing}"
    assert not fuzzy, f"fuzzy (unchecked) translations in {PO}: {fuzzy}"


def _untranslated(msgid: str, msgstr: str) -> bool:
    """Chinese left in the English text, other than words quoted from the source (such as
    the accepted values 是/否)."""
    if msgstr == msgid and HAN.search(msgid):
        return True
    return any(run not in msgid for run in re.findall(r"[\u4e00-\u9fff]+", msgstr))


def test_english_translations_contain_no_chinese():
    leftovers = [
        e["msgid"]
        for e in _po_entries()
        if any(_untranslated(str(e["msgid"]), m) for m in e["msgstr"])  # type: ignore[attr-defined]
    ]
    assert not leftovers


def test_compiled_mo_matches_po():
    """The .mo is committed (users need no gettext) and was compiled from this .po."""
    with MO.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    stale = []
    for entry in _po_entries():
        if "msgid_plural" in entry:
            continue
        msgid = str(entry["msgid"])
        if "msgctxt" in entry:
            got = catalog.pgettext(str(entry["msgctxt"]), msgid)
        else:
            got = catalog.gettext(msgid)
        if got != entry["msgstr"][0]:  # type: ignore[index]
            stale.append(msgid)
    assert not stale, "django.mo is out of date: run manage.py compilemessages -l en"


@pytest.mark.django_db
def test_customer_pages_in_english(client, am_a):
    customer = customer_create(actor=am_a, data={"name": "华为技术有限公司", "status": "active"})
    customer_update(actor=am_a, customer_id=customer.pk, data={"status": "dormant"}, version=1)
    client.force_login(am_a)
    client.cookies["django_language"] = "en"
    listing = client.get(reverse("customers:list")).content.decode()
    for text in ("Customers", "New customer", "Search", "1 customer", "Active", "Enterprise"):
        assert text in listing, text
    detail = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    for text in ("Preferences & habits", "Timeline", "Change history", "Purchases",
                 "Open follow-ups", "Record change"):  # fmt: skip
        assert text in detail, text
    # history shows field names and values in the reader's language
    assert '<span class="gx-muted">Status</span>: <span class="gx-old">Active</span>' in detail


@pytest.mark.django_db
def test_language_switch_sets_english(client, am_a):
    client.force_login(am_a)
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("customers:list")}
    )
    assert response.status_code == 302
    assert "New customer" in client.get(reverse("customers:list")).content.decode()


TEMPLATE_LITERAL = re.compile(
    r"""\{%\s*(?:translate|trans)\s+"([^"]*)"(?:\s+context\s+"([^"]*)")?"""
)


def test_every_template_literal_has_an_english_entry():
    """A ``{% translate "…" %}`` literal is looked up with its percent signs doubled (the
    template engine escapes them): the .po needs that form, or the English page shows the
    Chinese text."""
    known = {(str(e.get("msgctxt", "")), str(e["msgid"])) for e in _po_entries()}
    missing = set()
    for path in Path(settings.BASE_DIR, "guanxi").rglob("templates/**/*.html"):
        for literal, context in TEMPLATE_LITERAL.findall(path.read_text(encoding="utf-8")):
            if HAN.search(literal) and (context, literal.replace("%", "%%")) not in known:
                missing.add(f"{path.name}: {literal}")
    assert not missing, sorted(missing)
