"""The contacts import kind: a row is a contact of the customer it names."""

from __future__ import annotations

from typing import Any, Final

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.core.db.copy import fast_table
from guanxi.customers.importers.base import (
    CUSTOMER_REF_MESSAGES,
    CustomerRecordWriter,
    may_import_records,
    timeline_row,
    write_timeline,
)
from guanxi.customers.importers.fields import CONTACTS
from guanxi.customers.models import Contact, TimelineEntry
from guanxi.customers.timeline import TimelineText
from guanxi.imports.context import CREATE_ACTION, ChunkResult
from guanxi.imports.models import OnDuplicate
from guanxi.imports.registry import ImportKind
from guanxi.imports.rows import CleanRow
from guanxi.imports.writers import create_changes, save_simple_updates, write_audit

CONTACT_LABEL: Final = "customers.contact"

CONTACT_VALUE_FIELDS: Final[tuple[str, ...]] = (
    "name",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "birthday",
    "preferred_channel",
    "consent_marketing",
    "is_primary",
    "notes",
)


def _contact_keys(values: dict[str, Any]) -> list[str]:
    keys = []
    for name in ("mobile_key", "phone_key"):
        if values.get(name):
            keys.append("p:" + values[name].split(";", 1)[0])
    if values.get("email"):
        keys.append("e:" + values["email"])
    if not keys and values.get("name"):
        keys.append("n:" + values["name"].casefold())
    return keys


class ContactWriter(CustomerRecordWriter):
    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        customers = self.resolve_customers(rows, result)
        rows = [r for r in rows if r.row in customers]
        # Existing contacts of these customers, by key: a contact is the same person when a
        # phone or the e-mail matches, or (without those) the name.
        known: dict[tuple[int, str], Contact | int] = {}
        if mode != OnDuplicate.CREATE:
            for contact in Contact.objects.filter(
                customer_id__in={c.pk for c in customers.values()}
            ):
                for key in _contact_keys(
                    {
                        "mobile_key": contact.mobile_key,
                        "phone_key": contact.phone_key,
                        "email": contact.email,
                        "name": contact.name,
                    }
                ):
                    known.setdefault((contact.customer_id, key), contact)
                known.setdefault((contact.customer_id, "n:" + contact.name.casefold()), contact)
        creates: list[dict[str, Any]] = []
        befores: dict[int, dict[str, Any]] = {}
        contacts_by_id: dict[int, Contact] = {}
        for r in rows:
            customer = customers[r.row]
            keys = [(customer.pk, k) for k in _contact_keys(r.values)]
            hit = next((known[k] for k in keys if k in known), None)
            if hit is None:
                row = {n: r.values[n] for n in CONTACT_VALUE_FIELDS if n in r.values}
                row["customer_id"] = customer.pk
                row["phone_key"] = r.values.get("phone_key", "")
                row["mobile_key"] = r.values.get("mobile_key", "")
                if "consent_marketing" in r.values:
                    row["consent_updated_at"] = ctx.now
                row["_customer_name"] = customer.name
                creates.append(row)
                for k in keys:
                    known.setdefault(k, -len(creates))
                result.mark(r, "create")
            elif mode == OnDuplicate.SKIP:
                result.mark(r, "skip")
            elif isinstance(hit, int):
                row = creates[-hit - 1]
                changed = False
                for n in CONTACT_VALUE_FIELDS:
                    if n in r.values and row.get(n) != r.values[n]:
                        row[n] = r.values[n]
                        changed = True
                for n in ("phone_key", "mobile_key"):
                    if n in r.values:
                        row[n] = r.values[n]
                result.mark(r, "update" if changed else "unchanged")
            else:
                contact = hit
                if contact.pk not in befores:
                    befores[contact.pk] = audit.snapshot(contact)
                    contacts_by_id[contact.pk] = contact
                changed = False
                for n in CONTACT_VALUE_FIELDS:
                    if n in r.values and getattr(contact, n) != r.values[n]:
                        setattr(contact, n, r.values[n])
                        changed = True
                for n in ("phone_key", "mobile_key"):
                    if n in r.values:
                        setattr(contact, n, r.values[n])
                if (
                    changed
                    and "consent_marketing" in r.values
                    and (befores[contact.pk]["consent_marketing"] != contact.consent_marketing)
                ):
                    contact.consent_updated_at = ctx.now
                for k in keys:
                    known.setdefault(k, contact)
                result.mark(r, "update" if changed else "unchanged")
        if creates:
            ids = fast_table(Contact).insert(creates)
            result.add_created(CONTACT_LABEL, ids)
            names = [
                f.attname
                for f in Contact._meta.concrete_fields
                if f.name not in audit.SKIPPED_FIELDS and not f.primary_key
            ]
            audits, entries = [], []
            for pk, row in zip(ids, creates, strict=True):
                audits.append(
                    ctx.audit_row(
                        action=CREATE_ACTION,
                        model=CONTACT_LABEL,
                        object_id=pk,
                        object_repr=row["name"],
                        customer_id=row["customer_id"],
                        changes=create_changes(row, names),
                    )
                )
                entries.append(
                    timeline_row(
                        ctx,
                        customer_id=row["customer_id"],
                        kind="contact",
                        occurred_at=ctx.now,
                        title=TimelineText(
                            gettext_noop("新增联系人 %(name)s"), {"name": row["name"]}
                        ),
                        subject_model=CONTACT_LABEL,
                        subject_id=pk,
                    )
                )
            write_audit(audits)
            write_timeline(entries)
        if befores:
            save_simple_updates(ctx, Contact, contacts_by_id, befores, result)
        return result


KIND: Final = ImportKind(
    key="contacts",
    label=_("联系人"),
    spec=CONTACTS,
    writer=ContactWriter,
    models=(Contact,),
    also_writes=(TimelineEntry,),
    may_import=may_import_records,
    messages=CUSTOMER_REF_MESSAGES,
    order=20,
)
