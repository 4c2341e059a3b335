"""The communications import kind: a row is a communication with the customer it names
(and, optionally, one of its contacts)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.db.copy import fast_table
from guanxi.customers.importers.base import (
    CUSTOMER_REF_MESSAGES,
    CustomerRecordWriter,
    may_import_records,
    timeline_row,
    write_timeline,
)
from guanxi.customers.importers.fields import COMMUNICATIONS
from guanxi.customers.models import Communication, Contact, TimelineEntry
from guanxi.customers.timeline import ChoiceLabel, TimelineText
from guanxi.imports.context import CREATE_ACTION, ChunkResult
from guanxi.imports.models import OnDuplicate
from guanxi.imports.registry import ImportKind
from guanxi.imports.rows import CleanRow
from guanxi.imports.writers import create_changes, save_simple_updates, write_audit

COMMUNICATION_LABEL: Final = "customers.communication"

COMMUNICATION_UPDATE_FIELDS: Final[tuple[str, ...]] = (
    "direction",
    "next_follow_up",
    "follow_up_done",
    "staff_id",
    "contact_id",
)


class CommunicationWriter(CustomerRecordWriter):
    """The same customer, time, channel and summary is the same communication."""

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        customers = self.resolve_customers(rows, result, for_communication=True)
        rows = [r for r in rows if r.row in customers]
        customer_ids = {c.pk for c in customers.values()}
        contacts: dict[tuple[int, str], int] = {}
        if any(r.values.get("contact") for r in rows):
            for pk, cid, name in Contact.objects.filter(customer_id__in=customer_ids).values_list(
                "id", "customer_id", "name"
            ):
                contacts.setdefault((cid, name.casefold()), pk)
        known: dict[tuple[int, dt.datetime, str, str], Communication | int] = {}
        if mode != OnDuplicate.CREATE and rows:
            times = {r.values["occurred_at"] for r in rows}
            for comm in Communication.objects.filter(
                customer_id__in=customer_ids, occurred_at__in=times
            ):
                known.setdefault(
                    (comm.customer_id, comm.occurred_at, comm.channel, comm.summary), comm
                )
        creates: list[dict[str, Any]] = []
        befores: dict[int, dict[str, Any]] = {}
        objects: dict[int, Communication] = {}
        for r in rows:
            v = r.values
            customer = customers[r.row]
            contact_id = None
            if v.get("contact"):
                contact_id = contacts.get((customer.pk, v["contact"].casefold()))
                if contact_id is None:
                    result.fail(r, self.col("contact"), v["contact"], "contact_not_found")
                    continue
            staff_id = v.get("staff", ctx.actor_id)
            row = {
                "customer_id": customer.pk,
                "contact_id": contact_id,
                "channel": v["channel"],
                "direction": v.get("direction", "out"),
                "occurred_at": v["occurred_at"],
                "summary": v["summary"],
                "staff_id": staff_id,
                "next_follow_up": v.get("next_follow_up"),
                "follow_up_done": v.get("follow_up_done", False),
            }
            key = (customer.pk, v["occurred_at"], v["channel"], v["summary"])
            hit = known.get(key)
            if hit is None:
                creates.append(row)
                if mode != OnDuplicate.CREATE:
                    known[key] = -len(creates)
                result.mark(r, "create")
            elif mode == OnDuplicate.SKIP:
                result.mark(r, "skip")
            elif isinstance(hit, int):
                target = creates[-hit - 1]
                changed = any(target[k] != row[k] for k in row)
                target.update(row)
                result.mark(r, "update" if changed else "unchanged")
            else:
                comm = hit
                if comm.pk not in befores:
                    befores[comm.pk] = audit.snapshot(comm)
                    objects[comm.pk] = comm
                changed = False
                for name in COMMUNICATION_UPDATE_FIELDS:
                    field_name = name
                    if name in ("direction", "next_follow_up", "follow_up_done") and (
                        name not in v
                    ):
                        continue
                    if name == "staff_id" and "staff" not in v:
                        continue
                    if name == "contact_id" and "contact" not in v:
                        continue
                    if getattr(comm, field_name) != row[name]:
                        setattr(comm, field_name, row[name])
                        changed = True
                result.mark(r, "update" if changed else "unchanged")
        if creates:
            ids = fast_table(Communication).insert(creates)
            result.add_created(COMMUNICATION_LABEL, ids)
            names = [
                f.attname
                for f in Communication._meta.concrete_fields
                if f.name not in audit.SKIPPED_FIELDS and not f.primary_key
            ]
            labels = {k: str(v) for k, v in Communication._meta.get_field("channel").flatchoices}
            audits, entries = [], []
            for pk, row in zip(ids, creates, strict=True):
                audits.append(
                    ctx.audit_row(
                        action=CREATE_ACTION,
                        model=COMMUNICATION_LABEL,
                        object_id=pk,
                        object_repr=f"{labels[row['channel']]} {row['occurred_at']:%Y-%m-%d}",
                        customer_id=row["customer_id"],
                        changes=create_changes(row, names),
                    )
                )
                follow = row["next_follow_up"]
                entries.append(
                    timeline_row(
                        ctx,
                        customer_id=row["customer_id"],
                        kind="communication",
                        occurred_at=row["occurred_at"],
                        title=TimelineText(
                            gettext_noop("%(channel)s · %(direction)s"),
                            {
                                "channel": ChoiceLabel(
                                    COMMUNICATION_LABEL, "channel", row["channel"]
                                ),
                                "direction": ChoiceLabel(
                                    COMMUNICATION_LABEL, "direction", row["direction"]
                                ),
                            },
                        ),
                        body=row["summary"],
                        subject_model=COMMUNICATION_LABEL,
                        subject_id=pk,
                        data={
                            "channel": row["channel"],
                            "next_follow_up": follow.isoformat() if follow else None,
                        },
                    )
                )
            write_audit(audits)
            write_timeline(entries)
        if befores:
            save_simple_updates(ctx, Communication, objects, befores, result)
        return result


def may_import(actor: Any) -> bool:
    """Whoever may create customers, and the service desk, which logs communications on
    every customer it may read."""
    return may_import_records(actor) or permissions.can_log_communications_on_read(actor)


KIND: Final = ImportKind(
    key="communications",
    label=_("沟通记录"),
    spec=COMMUNICATIONS,
    writer=CommunicationWriter,
    models=(Communication,),
    also_writes=(TimelineEntry,),
    may_import=may_import,
    messages={
        **CUSTOMER_REF_MESSAGES,
        "contact_not_found": _("客户下没有联系人“%(value)s”。"),
    },
    order=40,
)
