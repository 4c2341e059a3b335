"""Helpers for the duplicate and merge tests (no tests here): customers and contacts with
their keys filled in as the services would, a scene with one of every related record, and a
snapshot of every row that hangs off customers, for "undo restores exactly"."""

from __future__ import annotations

from typing import Any

from guanxi.core import audit
from guanxi.core.models import AuditEntry
from guanxi.core.text.cleaning import normalize_phone
from guanxi.customers.duplicates.models import CustomerMerge, DuplicateCandidate
from guanxi.customers.duplicates.services import customer_relations
from guanxi.customers.models import Contact, Customer, Tag
from guanxi.customers.tests.factories import (
    CommunicationFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    PreferenceFactory,
    TimelineEntryFactory,
)


def customer(owner: Any, name: str, *, phone: str = "", email: str = "", **kw: Any) -> Customer:
    return CustomerFactory(
        owner=owner,
        name=name,
        phone=phone,
        phone_key=normalize_phone(phone) if phone else "",
        email=email.strip().lower(),
        **kw,
    )


def contact(
    of: Customer, name: str = "联系人", *, mobile: str = "", phone: str = "", email: str = ""
) -> Contact:
    return Contact.objects.create(
        customer=of,
        name=name,
        mobile=mobile,
        mobile_key=normalize_phone(mobile) if mobile else "",
        phone=phone,
        phone_key=normalize_phone(phone) if phone else "",
        email=email.strip().lower(),
    )


def full_scene(owner: Any) -> dict[str, Any]:
    """Survivor and merged customer, each with contacts, preferences (one clashing key),
    communications, an order with a line, timeline entries, tags (one shared) and change
    history; plus a third customer paired with the merged one in the candidate queue."""
    survivor = customer(
        owner,
        "华为技术有限公司",
        phone="0755-28780808",
        email="info@huawei.com",
        city="深圳",
        province="广东",
        industry="信息技术",
    )
    merged = customer(
        owner,
        "華為技術",
        phone="+86 138 0013 8000",
        email="",
        city="",
        industry="通信",
        notes="老客户，2019 年导入",
    )
    third = customer(owner, "华为终端有限公司", phone="13800138000")
    vip, shared = Tag.objects.create(name="VIP"), Tag.objects.create(name="华南")
    survivor.tags.set([shared])
    merged.tags.set([vip, shared])
    c1 = contact(merged, "任正非", mobile="13900000001", email="ren@huawei.com")
    contact(survivor, "孙亚芳", mobile="13900000002")
    PreferenceFactory(customer=survivor, category="diet", key="茶", value="龙井")
    PreferenceFactory(customer=merged, category="diet", key="茶", value="普洱")  # clashes
    PreferenceFactory(customer=merged, category="hobby", key="运动", value="高尔夫")
    CommunicationFactory(customer=merged, contact=c1, summary="电话沟通续约")
    order = OrderFactory(customer=merged, number="SO-MERGED-1")
    OrderLineFactory(order=order)
    TimelineEntryFactory(customer=merged, title="旧事件")
    TimelineEntryFactory(
        customer=merged,
        kind="customer",
        title="新建客户",
        subject_model="customers.customer",
        subject_id=str(merged.pk),
    )
    audit.record(actor=None, action="create", obj=merged, changes={}, customer_id=merged.pk)
    audit.record(actor=None, action="create", obj=survivor, changes={}, customer_id=survivor.pk)
    a, b = sorted([merged.pk, third.pk])
    DuplicateCandidate.objects.create(customer_a_id=a, customer_b_id=b, score=70, reason_mask=1)
    a, b = sorted([merged.pk, survivor.pk])
    DuplicateCandidate.objects.create(customer_a_id=a, customer_b_id=b, score=60, reason_mask=4)
    return {"survivor": survivor, "merged": merged, "third": third, "order": order, "contact": c1}


def pointing_at(customer_id: int) -> dict[str, int]:
    """Rows of every model with a foreign key to Customer that point at ``customer_id``,
    found generically (so a relation added by a later app is checked too), plus the
    plain-id references: audit history and timeline subjects."""
    found = {}
    for rel in customer_relations():
        n = rel.related_model._base_manager.filter(**{rel.field.attname: customer_id}).count()
        if n:
            found[rel.related_model._meta.label_lower] = n
    n = AuditEntry.objects.filter(customer_id=customer_id).count()
    if n:
        found["core.auditentry"] = n
    n = DuplicateCandidate.objects.filter(customer_a_id=customer_id).count()
    n += DuplicateCandidate.objects.filter(customer_b_id=customer_id).count()
    if n:
        found["customers.duplicatecandidate"] = n
    return found


def world() -> dict[str, list[dict[str, Any]]]:
    """Every row of customers, of every model pointing at customers, of the audit trail and
    the candidates, in primary-key order."""
    models = {Customer, AuditEntry, DuplicateCandidate}
    models |= {rel.related_model for rel in customer_relations()}
    return {
        m._meta.label_lower: list(m._base_manager.order_by("pk").values())
        for m in sorted(models, key=lambda m: m._meta.label_lower)
    }


def since(
    rows: dict[str, list[dict[str, Any]]], before: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``rows`` that are not in ``before`` (by primary key)."""
    out = {}
    for label, items in rows.items():
        old = {r["id"] for r in before.get(label, [])}
        new = [r for r in items if r["id"] not in old]
        if new:
            out[label] = new
    return out


def latest_merge() -> CustomerMerge:
    return CustomerMerge.objects.order_by("-pk").first()  # type: ignore[return-value]
