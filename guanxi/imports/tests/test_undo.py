"""Undo of a finished import: created records removed, updated ones restored, later work
kept; everything audited; the file can be imported again afterwards."""

from __future__ import annotations

import pytest

from guanxi.core.models import AuditEntry
from guanxi.customers import services
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.imports.models import ImportRun
from guanxi.imports.tests.support import counts, run_file, write_csv
from guanxi.imports.undo import import_undo

pytestmark = pytest.mark.django_db


def test_undo_removes_created_and_restores_updated(tmp_path, admin_user):
    old = CustomerFactory(name="老客户有限公司", owner=admin_user, city="南京")
    old.tags.create(name="老客户")
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["客户名称", "城市", "标签"],
            ["老客户有限公司", "苏州", "VIP"],
            ["新客户甲", "上海", ""],
            ["新客户乙", "北京", ""],
        ],
    )
    run = run_file(path, actor=admin_user)
    assert counts(run) == (2, 1, 0, 0)
    edited = Customer.objects.get(name="新客户乙")
    services.customer_update(
        actor=admin_user, customer_id=edited.pk, data={"city": "天津"}, version=1
    )

    result = import_undo(run_id=run.pk, actor=admin_user)

    assert result == {"removed": 1, "restored": 1, "kept": 1}
    old.refresh_from_db()
    assert old.city == "南京"
    assert list(old.tags.values_list("name", flat=True)) == ["老客户"]
    assert set(Customer.objects.values_list("name", flat=True)) == {"老客户有限公司", "新客户乙"}
    assert not TimelineEntry.objects.filter(customer__name="新客户甲").exists()
    assert AuditEntry.objects.filter(model="customers.customer", action="delete").count() == 1
    restore = AuditEntry.objects.filter(object_id=str(old.pk), action="update").latest("id")
    assert restore.changes["city"] == ["苏州", "南京"]
    assert ImportRun.objects.get(pk=run.pk).status == "undone"


def _repeats_across_chunks(tmp_path):
    """Four chunks of two rows: the fourth repeats a customer the first created, so a later
    chunk of the same import updates it."""
    return write_csv(
        tmp_path / "repeats.csv",
        [
            ["客户名称", "城市"],
            ["甲贸易有限公司", "上海"],
            ["乙贸易有限公司", "北京"],
            ["丙贸易有限公司", "广州"],
            ["丁贸易有限公司", "深圳"],
            ["戊贸易有限公司", "南京"],
            ["己贸易有限公司", "杭州"],
            ["甲贸易", "苏州"],
            ["庚贸易有限公司", "成都"],
        ],
    )


def test_undo_removes_what_a_later_chunk_of_the_same_import_updated(tmp_path, admin_user):
    run = _run_in_chunks(_repeats_across_chunks(tmp_path), admin_user)
    assert counts(run) == (7, 1, 0, 0)
    assert Customer.objects.get(name="甲贸易有限公司").city == "苏州"

    result = import_undo(run_id=run.pk, actor=admin_user)

    assert result == {"removed": 7, "restored": 0, "kept": 0}
    assert not Customer.objects.exists()


def test_undo_keeps_a_record_the_import_created_and_someone_changed_since(tmp_path, admin_user):
    run = _run_in_chunks(_repeats_across_chunks(tmp_path), admin_user)
    jia = Customer.objects.get(name="甲贸易有限公司")
    services.customer_update(
        actor=admin_user, customer_id=jia.pk, data={"notes": "已回访"}, version=jia.version
    )

    result = import_undo(run_id=run.pk, actor=admin_user)

    assert result == {"removed": 6, "restored": 1, "kept": 1}
    jia.refresh_from_db()
    assert (jia.city, jia.notes) == ("上海", "已回访")  # the later chunk's change undone


def _run_in_chunks(path, actor):
    return run_file(path, actor=actor, chunk_rows=2)


def test_a_file_can_be_imported_again_after_undo(tmp_path, admin_user):
    path = write_csv(tmp_path / "c.csv", [["客户名称"], ["甲"], ["乙"]])
    first = run_file(path, actor=admin_user)
    import_undo(run_id=first.pk, actor=admin_user)

    second = run_file(path, actor=admin_user)

    assert counts(second) == (2, 0, 0, 0)
    assert Customer.objects.count() == 2


def test_reimport_writes_no_audit_rows(tmp_path, admin_user):
    path = write_csv(tmp_path / "c.csv", [["客户名称", "城市"], ["甲", "上海"], ["乙", ""]])
    run_file(path, actor=admin_user)
    audits = AuditEntry.objects.count()

    again = run_file(path, actor=admin_user, on_duplicate="create")

    assert counts(again) == (0, 0, 2, 0)
    assert AuditEntry.objects.count() == audits
    assert Customer.objects.count() == 2
