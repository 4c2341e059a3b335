"""``customer_merge``, ``customer_merge_undo`` and ``candidate_dismiss``: what moves, what is
kept, exact undo, refusals that change nothing, permissions."""

from __future__ import annotations

import pytest

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers import services
from guanxi.customers.duplicates.models import CandidateStatus, CustomerMerge, DuplicateCandidate
from guanxi.customers.duplicates.services import (
    customer_merge,
    customer_merge_undo,
    customer_relations,
)
from guanxi.customers.models import Communication, Contact, Customer, Preference, TimelineEntry
from guanxi.customers.tests.duplicates.support import (
    customer,
    full_scene,
    latest_merge,
    pointing_at,
    since,
    world,
)
from guanxi.orders.models import Order

pytestmark = pytest.mark.django_db


def _merge(actor, survivor, merged, **fields):
    survivor.refresh_from_db()
    merged.refresh_from_db()
    return customer_merge(
        actor=actor,
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        survivor_version=survivor.version,
        merged_version=merged.version,
        fields=fields or None,
    )


# --- merge -------------------------------------------------------------------------------


def test_every_relation_to_customer_is_known_generically():
    labels = {rel.related_model._meta.label_lower for rel in customer_relations()}
    assert {
        "customers.contact",
        "customers.preference",
        "customers.communication",
        "orders.order",
        "customers.timelineentry",
        "customers.customer_tags",
    } <= labels
    assert "customers.duplicatecandidate" not in labels


def test_merge_leaves_nothing_pointing_at_the_merged_customer(am_a):
    scene = full_scene(am_a)
    merged_id = scene["merged"].pk
    assert set(pointing_at(merged_id)) >= {
        "customers.contact",
        "orders.order",
        "core.auditentry",
        "customers.customer_tags",
    }

    _merge(am_a, scene["survivor"], scene["merged"])

    assert pointing_at(merged_id) == {}
    assert not Customer.objects.filter(pk=merged_id).exists()
    assert not TimelineEntry.objects.filter(
        subject_model="customers.customer", subject_id=str(merged_id)
    ).exists()


def test_merge_moves_every_record_to_the_survivor(am_a):
    scene = full_scene(am_a)
    survivor, merged = scene["survivor"], scene["merged"]

    _merge(am_a, survivor, merged)

    assert set(Contact.objects.filter(customer=survivor).values_list("name", flat=True)) == {
        "任正非",
        "孙亚芳",
    }
    assert Order.objects.get(number="SO-MERGED-1").customer_id == survivor.pk
    assert Communication.objects.get(summary="电话沟通续约").customer_id == survivor.pk
    assert Communication.objects.get().contact_id == scene["contact"].pk
    assert set(survivor.tags.values_list("name", flat=True)) == {"VIP", "华南"}
    assert set(Preference.objects.filter(customer=survivor).values_list("key", "value")) == {
        ("茶", "龙井"),
        ("运动", "高尔夫"),
    }  # the survivor's tea preference won
    assert TimelineEntry.objects.filter(customer=survivor, title="旧事件").exists()
    assert AuditEntry.objects.filter(customer_id=survivor.pk, object_id=str(merged.pk)).exists()


def test_merge_keeps_the_chosen_value_of_each_field(am_a):
    scene = full_scene(am_a)
    survivor, merged = scene["survivor"], scene["merged"]

    _merge(
        am_a,
        survivor,
        merged,
        name=merged.pk,
        phone=survivor.pk,
        industry=merged.pk,
        notes=merged.pk,
    )

    survivor.refresh_from_db()
    assert (survivor.name, survivor.phone, survivor.industry, survivor.notes) == (
        "華為技術",
        "0755-28780808",
        "通信",
        "老客户，2019 年导入",
    )
    assert (survivor.email, survivor.city) == ("info@huawei.com", "深圳")  # defaults: survivor's
    assert survivor.name_pinyin == "huaweijishu"  # derived keys follow the chosen name


def test_an_empty_survivor_value_defaults_to_the_other(am_a):
    survivor = customer(am_a, "华为技术", email="")
    merged = customer(am_a, "華為技術", email="hw@huawei.com")

    _merge(am_a, survivor, merged)

    survivor.refresh_from_db()
    assert survivor.email == "hw@huawei.com"


def test_merge_is_audited_and_on_the_timeline(am_a):
    scene = full_scene(am_a)
    survivor, merged = scene["survivor"], scene["merged"]

    record = _merge(am_a, survivor, merged, name=merged.pk)

    entry = AuditEntry.objects.get(action=AuditAction.MERGE, object_id=str(survivor.pk))
    assert entry.changes["merged_customer"] == [merged.pk, survivor.pk]
    assert entry.changes["merge_id"] == [None, record.pk]
    assert entry.actor == am_a and entry.customer_id == survivor.pk
    assert AuditEntry.objects.filter(
        action="delete", model="customers.customer", object_id=str(merged.pk)
    ).exists()
    update = AuditEntry.objects.get(action="update", object_id=str(survivor.pk))
    assert update.changes["name"] == ["华为技术有限公司", "華為技術"]
    line = TimelineEntry.objects.get(customer=survivor, kind="merge")
    assert "華為技術" in line.title and line.data["merge_id"] == record.pk


def test_merge_takes_the_candidates_of_the_merged_customer_along(am_a):
    scene = full_scene(am_a)

    _merge(am_a, scene["survivor"], scene["merged"])

    assert not DuplicateCandidate.objects.exists()
    assert len(latest_merge().candidates) == 2


def test_merge_bumps_the_survivor_version(am_a):
    scene = full_scene(am_a)
    version = scene["survivor"].version

    record = _merge(am_a, scene["survivor"], scene["merged"])

    assert Customer.objects.get(pk=scene["survivor"].pk).version == version + 1
    assert record.survivor_version_after == version + 1


# --- refusals change nothing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        (lambda s, m: {"merged_id": s.pk}, ValidationFailed, "merged_id"),
        (lambda s, m: {"merged_id": 999_999}, NotFound, "merged_id"),
        (lambda s, m: {"survivor_id": 999_999}, NotFound, "survivor_id"),
        (lambda s, m: {"survivor_version": s.version + 1}, Conflict, "survivor_version"),
        (lambda s, m: {"merged_version": m.version - 1 or 7}, Conflict, "merged_version"),
        (lambda s, m: {"fields": {"name": 123456}}, ValidationFailed, "fields.name"),
        (lambda s, m: {"fields": {"colour": s.pk}}, ValidationFailed, "fields.colour"),
        (lambda s, m: {"fields": {"name": True}}, ValidationFailed, "fields.name"),
        (lambda s, m: {"survivor_id": "abc"}, ValidationFailed, "survivor_id"),
    ],
)
def test_rejected_merge_names_the_field_and_changes_nothing(am_a, change, error, field):
    scene = full_scene(am_a)
    s, m = scene["survivor"], scene["merged"]
    args = {
        "survivor_id": s.pk,
        "merged_id": m.pk,
        "survivor_version": s.version,
        "merged_version": m.version,
    }
    args.update(change(s, m))
    before = world()

    with pytest.raises(error) as excinfo:
        customer_merge(actor=am_a, **args)

    assert excinfo.value.field == field
    assert world() == before


def test_account_manager_cannot_merge_another_teams_customer(am_a, am_b):
    mine, theirs = customer(am_a, "华为技术"), customer(am_b, "华为技术有限公司")
    before = world()

    with pytest.raises(NotFound) as excinfo:
        _merge(am_a, mine, theirs)

    assert excinfo.value.field == "merged_id"
    assert world() == before


def test_reader_who_may_not_change_cannot_merge(agent, am_a):
    a, b = customer(am_a, "华为技术"), customer(am_a, "华为技术有限公司")

    with pytest.raises(PermissionDenied):
        _merge(agent, a, b)


def test_portal_user_sees_no_customer_to_merge(portal_user, am_a):
    a, b = customer(am_a, "华为技术"), customer(am_a, "华为技术有限公司")

    with pytest.raises(NotFound):
        _merge(portal_user, a, b)


def test_manager_merges_within_the_team(manager_a, am_a, am_a2):
    a, b = customer(am_a, "华为技术"), customer(am_a2, "华为技术有限公司")

    _merge(manager_a, a, b, owner=b.pk)

    a.refresh_from_db()
    assert a.owner == am_a2


# --- undo ----------------------------------------------------------------------------------


def test_undo_restores_everything_exactly(am_a):
    scene = full_scene(am_a)
    survivor = scene["survivor"]
    before = world()
    record = _merge(
        am_a, survivor, scene["merged"], name=scene["merged"].pk, notes=scene["merged"].pk
    )

    customer_merge_undo(actor=am_a, merge_id=record.pk)

    after = world()
    added = since(after, before)
    # Nothing of the old world is missing or different, except the survivor's version and
    # update time (a write happened); what is new is history: audit, timeline, merge record.
    for label, rows in before.items():
        current = {r["id"]: r for r in after[label]}
        for row in rows:
            now = dict(current[row["id"]])
            if label == "customers.customer" and row["id"] == survivor.pk:
                assert now.pop("version") == row["version"] + 2
                now.pop("updated_at"), row.copy().pop("updated_at")
                row = {k: v for k, v in row.items() if k not in {"version", "updated_at"}}
            assert now == row, label
    assert set(added) <= {"core.auditentry", "customers.timelineentry"}
    assert CustomerMerge.objects.get().is_undone


def test_undo_puts_the_candidates_back(am_a):
    scene = full_scene(am_a)
    before = list(DuplicateCandidate.objects.order_by("pk").values())
    record = _merge(am_a, scene["survivor"], scene["merged"])

    customer_merge_undo(actor=am_a, merge_id=record.pk)

    assert list(DuplicateCandidate.objects.order_by("pk").values()) == before


def test_undo_is_audited_and_on_both_timelines(am_a):
    scene = full_scene(am_a)
    record = _merge(am_a, scene["survivor"], scene["merged"])

    customer_merge_undo(actor=am_a, merge_id=record.pk)

    merged_id = scene["merged"].pk
    assert AuditEntry.objects.filter(
        action="create", object_id=str(merged_id), model="customers.customer"
    ).exists()
    assert AuditEntry.objects.filter(action=AuditAction.MERGE, customer_id=merged_id).exists()
    assert TimelineEntry.objects.filter(customer_id=merged_id, kind="merge").exists()
    assert TimelineEntry.objects.filter(customer=scene["survivor"], kind="merge").count() == 2


def test_undo_refused_when_the_survivor_changed_since(am_a):
    scene = full_scene(am_a)
    record = _merge(am_a, scene["survivor"], scene["merged"])
    services.customer_update(
        actor=am_a,
        customer_id=scene["survivor"].pk,
        data={"city": "广州"},
        version=record.survivor_version_after,
    )
    before = world()

    with pytest.raises(Conflict) as excinfo:
        customer_merge_undo(actor=am_a, merge_id=record.pk)

    assert "华为技术有限公司" in excinfo.value.message and "版本" in excinfo.value.message
    assert world() == before


def test_undo_refused_when_a_moved_record_changed_since(am_a):
    scene = full_scene(am_a)
    record = _merge(am_a, scene["survivor"], scene["merged"])
    services.contact_update(
        actor=am_a, contact_id=scene["contact"].pk, data={"title": "董事长"}, version=1
    )
    before = world()

    with pytest.raises(Conflict) as excinfo:
        customer_merge_undo(actor=am_a, merge_id=record.pk)

    assert f"联系人 #{scene['contact'].pk}" in excinfo.value.message
    assert world() == before


def test_undo_refused_when_a_moved_record_was_deleted(am_a):
    scene = full_scene(am_a)
    record = _merge(am_a, scene["survivor"], scene["merged"])
    services.contact_delete(actor=am_a, contact_id=scene["contact"].pk, version=1)

    with pytest.raises(Conflict) as excinfo:
        customer_merge_undo(actor=am_a, merge_id=record.pk)

    assert "联系人" in excinfo.value.message


def test_undo_refused_when_a_new_record_refers_to_a_moved_one(am_a):
    scene = full_scene(am_a)
    record = _merge(am_a, scene["survivor"], scene["merged"])
    services.communication_create(
        actor=am_a,
        customer_id=scene["survivor"].pk,
        data={"channel": "phone", "summary": "回访", "contact_id": scene["contact"].pk},
    )
    before = world()

    with pytest.raises(Conflict) as excinfo:
        customer_merge_undo(actor=am_a, merge_id=record.pk)

    assert "沟通记录" in excinfo.value.message
    assert world() == before


def test_undo_twice_is_refused(am_a):
    scene = full_scene(am_a)
    record = _merge(am_a, scene["survivor"], scene["merged"])
    customer_merge_undo(actor=am_a, merge_id=record.pk)

    with pytest.raises(Conflict) as excinfo:
        customer_merge_undo(actor=am_a, merge_id=record.pk)

    assert excinfo.value.field == "merge_id"


def test_chained_merges_are_undone_last_first(admin_user, am_a):
    a, b, c = (customer(am_a, n) for n in ("甲方科技", "乙方科技", "丙方科技"))
    first = _merge(admin_user, b, a)  # a into b
    second = _merge(admin_user, c, b)  # b into c

    with pytest.raises(Conflict) as excinfo:
        customer_merge_undo(actor=admin_user, merge_id=first.pk)
    assert "先撤销" in excinfo.value.message

    customer_merge_undo(actor=admin_user, merge_id=second.pk)
    customer_merge_undo(actor=admin_user, merge_id=first.pk)
    assert set(Customer.objects.values_list("name", flat=True)) == {
        "甲方科技",
        "乙方科技",
        "丙方科技",
    }


def test_other_team_cannot_undo(am_a, am_b):
    scene = full_scene(am_a)
    record = _merge(am_a, scene["survivor"], scene["merged"])

    with pytest.raises(NotFound):
        customer_merge_undo(actor=am_b, merge_id=record.pk)
    with pytest.raises(NotFound):
        customer_merge_undo(actor=am_a, merge_id=record.pk + 100)


# --- dismiss ------------------------------------------------------------------------------


def test_dismiss_marks_the_pair_and_is_audited(am_a):
    from guanxi.customers.duplicates.services import candidate_dismiss

    a, b = customer(am_a, "甲方科技"), customer(am_a, "乙方科技")
    pair = DuplicateCandidate.objects.create(customer_a=a, customer_b=b, score=70, reason_mask=1)

    candidate_dismiss(actor=am_a, candidate_id=pair.pk)

    pair.refresh_from_db()
    assert (pair.status, pair.dismissed_by) == (CandidateStatus.DISMISSED, am_a)
    assert AuditEntry.objects.filter(
        model="customers.duplicatecandidate",
        customer_id=a.pk,
        changes__status=["open", "dismissed"],
    ).exists()


def test_dismiss_of_another_teams_pair_is_not_found(am_a, am_b):
    from guanxi.customers.duplicates.services import candidate_dismiss

    a, b = customer(am_b, "甲方科技"), customer(am_b, "乙方科技")
    pair = DuplicateCandidate.objects.create(customer_a=a, customer_b=b, score=70, reason_mask=1)

    with pytest.raises(NotFound):
        candidate_dismiss(actor=am_a, candidate_id=pair.pk)
    pair.refresh_from_db()
    assert pair.status == CandidateStatus.OPEN


# --- records of other apps ------------------------------------------------------------------


def _value(of):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from guanxi.analytics.models import CustomerValue

    return CustomerValue.objects.create(
        customer=of,
        orders=1,
        purchases=1,
        revenue=Decimal("10"),
        first_purchase=dt.date(2025, 1, 1),
        last_purchase=dt.date(2025, 1, 1),
        average_amount=Decimal("10"),
        customer_value=Decimal("10"),
        value_class="gold",
        rfm_r=1,
        rfm_f=1,
        rfm_m=1,
        rfm_fm=1,
        rfm_segment="important_value",
        revenue_rank=1,
        cost_to_serve=Decimal("0"),
        profit=Decimal("10"),
        cohort_month=24300,
        computed_at=timezone.now(),
    )


def test_a_row_keyed_by_the_customer_is_set_aside_and_restored_by_undo(am_a):
    from guanxi.analytics.models import CustomerValue

    survivor, merged = customer(am_a, "华为技术"), customer(am_a, "華為技術")
    _value(merged)
    before = world()

    record = _merge(am_a, survivor, merged)

    assert not CustomerValue.objects.exists()  # recomputed for the survivor later
    assert pointing_at(merged.pk) == {}
    customer_merge_undo(actor=am_a, merge_id=record.pk)
    assert list(CustomerValue.objects.values_list("customer_id", flat=True)) == [merged.pk]
    assert world()["analytics.customervalue"] == before["analytics.customervalue"]
