"""The contracts, instalments and collections import kinds (errors per row naming the
column, scope, duplicates, undo that counts the money again) and the receivables export
lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from guanxi.contracts.models import (
    Collection,
    CollectionAllocation,
    Contract,
    ContractStatus,
    Instalment,
    InstalmentStatus,
)
from guanxi.contracts.services import collections as collection_services
from guanxi.contracts.tests.contract_helpers import (  # noqa: F401 - fixture
    approved,
    create,
    scene_fixture,
)
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.imports import exporting, registry
from guanxi.imports.models import ImportRowError
from guanxi.imports.services import can_import
from guanxi.imports.tests.support import counts, run_file, write_csv
from guanxi.imports.undo import import_undo

pytestmark = pytest.mark.django_db

CONTRACT_HEADER = ["合同编号", "客户名称", "合同名称", "合同金额", "开始日期", "结束日期",
                   "签订日期", "合同状态", "备注"]  # fmt: skip


def _errors(run):
    return {e.row: (e.column, e.code) for e in ImportRowError.objects.filter(run=run)}


def test_the_kinds_are_registered():
    assert registry.kind("contracts").models == (Contract,)
    assert registry.kind("instalments").models == (Instalment,)
    assert registry.kind("collections").models == (CollectionAllocation, Collection)
    assert {"customer", "title", "amount", "start_date", "end_date", "status"} <= set(
        registry.kind("contracts").spec.by_name
    )


def test_who_may_import_contracts(scene):
    assert can_import(scene["seller"], "contracts")
    assert can_import(scene["seller"], "collections")
    assert not can_import(scene["agent"], "contracts")


def test_historic_contracts_keep_their_status_and_bad_rows_name_the_column(tmp_path, scene):
    rows = [
        CONTRACT_HEADER,
        ["HT-OLD-001", "上海关系科技有限公司", "老系统合同", "120,000.00", "2025-01-01",
         "2025-12-31", "2024-12-28", "执行中", "从旧系统迁移"],
        ["", "上海关系科技", "新签合同", "50000", "2026-01-01", "2026-12-31", "", "草稿", ""],
        ["HT-OLD-002", "上海关系科技有限公司", "日期倒置", "1000", "2026-05-01", "2026-01-01",
         "", "", ""],
        ["HT-OLD-003", "不存在的公司", "无主合同", "1000", "2026-01-01", "2026-12-31", "", "",
         ""],
        ["HT-OLD-004", "广州远方贸易有限公司", "别人的客户", "1000", "2026-01-01", "2026-12-31",
         "", "", ""],
        ["HT-OLD-005", "上海关系科技有限公司", "审批中", "1000", "2026-01-01", "2026-12-31", "",
         "审批中", ""],
        ["HT-OLD-006", "上海关系科技有限公司", "负数", "-5", "2026-01-01", "2026-12-31", "", "",
         ""],
    ]  # fmt: skip
    run = run_file(write_csv(tmp_path / "c.csv", rows), "contracts", actor=scene["seller"])
    assert counts(run) == (2, 0, 0, 5)
    old, new = Contract.objects.order_by("id")
    assert (old.number, old.status, old.amount, old.signed_on) == (
        "HT-OLD-001", ContractStatus.ACTIVE, Decimal("120000.00"), dt.date(2024, 12, 28)
    )  # fmt: skip
    assert old.owner == scene["seller"] and old.team == scene["sales"]
    assert new.status == ContractStatus.DRAFT and new.number.startswith("HT-")
    assert AuditEntry.objects.filter(model="contracts.contract", action="create").count() == 2
    assert TimelineEntry.objects.filter(kind="contract", customer=scene["customer"]).count() == 2
    assert _errors(run) == {
        4: ("结束日期", "contract_end_before_start"),
        5: ("客户名称", "customer_not_found"),
        6: ("客户名称", "customer_not_found"),  # another team's customer is not even named
        7: ("合同状态", "contract_status_in_approval"),
        8: ("合同金额", "negative_amount"),
    }


def test_a_known_number_is_skipped_refused_or_updated_only_while_editable(tmp_path, scene):
    locked = approved(scene)
    draft = create(scene["seller"], scene["customer"], "5000.00")

    def file(note):  # each run its own file (the same file again resumes its run)
        rows = [CONTRACT_HEADER,
                [locked.number, "上海关系科技有限公司", "改名", "1", "2026-01-01", "2026-12-31",
                 "", "", note],
                [draft.number, "上海关系科技有限公司", "草稿改名", "6000", "2026-01-01",
                 "2026-12-31", "", "草稿", note]]  # fmt: skip
        return write_csv(tmp_path / f"{note}.csv", rows)

    skipped = run_file(file("a"), "contracts", actor=scene["seller"], on_duplicate="skip")
    assert counts(skipped) == (0, 0, 2, 0)
    refused = run_file(file("b"), "contracts", actor=scene["seller"], on_duplicate="create")
    assert {code for _c, code in _errors(refused).values()} == {"contract_number_taken"}
    updated = run_file(file("c"), "contracts", actor=scene["seller"], on_duplicate="update")
    assert counts(updated) == (0, 1, 0, 1)
    assert _errors(updated) == {2: ("合同编号", "contract_locked")}
    locked.refresh_from_db()
    draft.refresh_from_db()
    assert locked.title == "ERP 实施合同" and locked.amount == Decimal("120000.00")
    assert (draft.title, draft.amount, draft.version) == ("草稿改名", Decimal("6000.00"), 2)
    import_undo(run_id=updated.pk, actor=scene["seller"])
    draft.refresh_from_db()
    assert (draft.title, draft.amount) == ("ERP 实施合同", Decimal("5000.00"))


def test_instalments_follow_their_contract_and_never_exceed_its_amount(tmp_path, scene):
    contract = create(scene["seller"], scene["customer"], "100000.00")
    other = create(scene["outsider"], scene["other_customer"], "100.00")
    today = timezone.localdate()
    rows = [
        ["合同编号", "期数", "计划回款日期", "计划金额", "回款方式"],
        [contract.number, "1", "2026-01-15", "40000", "电汇"],
        [contract.number, "", (today + dt.timedelta(days=30)).isoformat(), "60000", ""],
        [contract.number, "", "2026-09-01", "0.01", ""],
        [contract.number, "1.5", "2026-09-01", "1", ""],
        [other.number, "", "2026-09-01", "1", ""],
        ["HT-NONE", "", "2026-09-01", "1", ""],
    ]
    run = run_file(write_csv(tmp_path / "i.csv", rows), "instalments", actor=scene["seller"])
    assert counts(run) == (2, 0, 0, 4)
    first, second = Instalment.objects.filter(contract=contract).order_by("sequence")
    assert (first.sequence, first.amount, first.method, first.status) == (
        1, Decimal("40000.00"), "transfer", InstalmentStatus.DRAFT
    )  # fmt: skip
    assert (second.sequence, second.owner, second.team) == (2, scene["seller"], scene["sales"])
    assert _errors(run) == {
        4: ("计划金额", "instalment_over_amount"),
        5: ("期数", "instalment_sequence_invalid"),
        6: ("合同编号", "contract_not_found"),  # another team's contract
        7: ("合同编号", "contract_not_found"),
    }
    import_undo(run_id=run.pk, actor=scene["seller"])
    assert not Instalment.objects.exists()


def test_collections_fill_the_oldest_instalments_and_refuse_more_than_is_due(tmp_path, scene):
    contract = approved(scene)  # 3 × ¥40,000
    outsiders = approved(
        {**scene, "seller": scene["outsider"], "customer": scene["other_customer"]}
    )
    rows = [
        ["合同编号", "回款日期", "回款金额", "回款方式", "流水号", "预收款", "备注"],
        [contract.number, "2026-01-10", "50000", "转账", "YH001", "", "首款"],
        [contract.number, "2026-02-10", "200000", "", "YH002", "否", ""],
        [contract.number, "2026-03-10", "80000", "", "YH003", "是", "含预收"],
        [contract.number, "2026-03-11", "80000", "", "YH003", "", "重复流水号"],
        [outsiders.number, "2026-03-10", "1", "", "", "", ""],
    ]
    run = run_file(write_csv(tmp_path / "p.csv", rows), "collections", actor=scene["seller"])
    assert counts(run) == (2, 0, 1, 2)
    assert _errors(run) == {
        3: ("回款金额", "collection_over_due"),
        6: ("合同编号", "contract_not_found"),
    }
    contract.refresh_from_db()
    assert contract.collected == Decimal("130000.00")
    received = [i.received for i in contract.instalments.order_by("sequence")]
    assert received == [Decimal("40000.00")] * 3
    prepaid = Collection.objects.get(reference="YH003")
    assert prepaid.prepayment and prepaid.unallocated == Decimal("10000.00")
    assert set(contract.instalments.values_list("status", flat=True)) == {"received"}

    # A collection entered after the import stays whole when the import is undone.
    import_undo(run_id=run.pk, actor=scene["seller"])
    assert not Collection.objects.exists() and not CollectionAllocation.objects.exists()
    contract.refresh_from_db()
    assert contract.collected == Decimal("0.00")
    assert set(contract.instalments.values_list("received", flat=True)) == {Decimal("0.00")}


def test_undo_of_collections_counts_the_money_again_around_later_work(tmp_path, scene):
    contract = approved(scene)
    rows = [["合同编号", "回款日期", "回款金额"], [contract.number, "2026-01-10", "50000"]]
    run = run_file(write_csv(tmp_path / "p.csv", rows), "collections", actor=scene["seller"])
    collection_services.collection_create(
        actor=scene["seller"], contract_id=contract.pk,
        data={"amount": Decimal("10000.00"), "received_on": dt.date(2026, 2, 1)},
    )  # fmt: skip
    import_undo(run_id=run.pk, actor=scene["seller"])
    contract.refresh_from_db()
    assert contract.collected == Decimal("10000.00")
    by_instalment = {i.sequence: i.received for i in contract.instalments.order_by("sequence")}
    allocated = {
        a.instalment.sequence: a.amount
        for a in CollectionAllocation.objects.select_related("instalment")
    }
    assert sum(by_instalment.values()) == Decimal("10000.00")
    for sequence, amount in allocated.items():
        assert by_instalment[sequence] == amount


def test_the_receivables_exports_are_scoped(scene):
    approved(scene)
    approved({**scene, "seller": scene["outsider"], "customer": scene["other_customer"]})
    for group in ("customer", "owner", "team"):
        qs = exporting.export_queryset(
            actor=scene["seller"], kind="receivables", params={"group_by": group}
        )
        rows = list(exporting.export_rows(qs, "receivables"))
        assert len(rows) == 1
        assert rows[0][-1] == Decimal("120000.00") == sum(rows[0][1:-1])
    assert rows[0][0] == "华东销售部"
    everything = exporting.export_queryset(actor=scene["director"], kind="receivables",
                                           params={})  # fmt: skip
    assert [r[0] for r in exporting.export_rows(everything, "receivables")] == [
        "上海关系科技有限公司"
    ]
    overdue = exporting.export_queryset(actor=scene["seller"], kind="overdue_instalments",
                                        params={})  # fmt: skip
    lines = list(exporting.export_rows(overdue, "overdue_instalments"))
    assert len(lines) == 3 and all(line[7] == Decimal("40000.00") for line in lines)
    assert exporting.export_headers("overdue_instalments")[0] == "合同编号"


def test_a_bad_grouping_is_an_error_naming_it(scene):
    from guanxi.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        exporting.export_queryset(actor=scene["seller"], kind="receivables",
                                  params={"group_by": "city"})  # fmt: skip
    assert "group_by" in caught.value.errors
