"""contract_create, numbering, approval (two steps above ¥500,000), the edit lock of an
approved contract, amendments, the plan's life with its contract, collections, invoices
and the overdue rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from guanxi.approvals.models import ApprovalRequest
from guanxi.contracts.models import (
    Collection,
    Contract,
    ContractStatus,
    Instalment,
    InstalmentStatus,
    InvoiceRequest,
    InvoiceStatus,
)
from guanxi.contracts.services import collections as collection_services
from guanxi.contracts.services import contracts as services
from guanxi.contracts.services import invoices as invoice_services
from guanxi.contracts.services import plans
from guanxi.contracts.tests.contract_helpers import (  # noqa: F401 - fixture
    START,
    approved,
    create,
    decide_all,
    scene_fixture,
    terms,
)
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_numbers_follow_the_pattern_and_count_up(scene, settings):
    settings.GUANXI_CONTRACT_NUMBER_PATTERN = "HT-{yyyy}{mm}-{seq:04d}"
    first = create(scene["seller"], scene["customer"])
    second = create(scene["seller"], scene["customer"])
    assert first.number[:3] == "HT-" and first.number.endswith("-0001")
    assert second.number.endswith("-0002")
    assert first.number[:10] == second.number[:10]


def test_create_audits_and_writes_the_timeline(scene):
    contract = create(scene["seller"], scene["customer"])
    assert contract.status == ContractStatus.DRAFT
    assert contract.owner == scene["seller"] and contract.team == scene["sales"]
    entry = AuditEntry.objects.get(model="contracts.contract", object_id=str(contract.pk))
    assert entry.changes["amount"] == [None, "120000.00"]
    assert TimelineEntry.objects.filter(customer=scene["customer"], kind="contract").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": Decimal("-1")}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"end_date": START - dt.timedelta(days=1)}, "end_date"),
        ({"title": "  "}, "title"),
        ({"start_date": "2026/01/01"}, "start_date"),
    ],
)
def test_bad_terms_name_the_field_and_write_nothing(scene, change, field):
    with pytest.raises(ValidationFailed) as exc:
        services.contract_create(
            actor=scene["seller"], customer_id=scene["customer"].pk, data={**terms(), **change}
        )
    assert field in exc.value.errors
    assert not Contract.objects.exists()


def test_another_teams_customer_is_not_found(scene):
    with pytest.raises(NotFound) as exc:
        create(scene["seller"], scene["other_customer"])
    assert exc.value.field == "customer_id"
    assert not Contract.objects.exists()


def test_a_service_agent_may_not_create_contracts(scene):
    with pytest.raises(PermissionDenied):
        create(scene["agent"], scene["customer"])


def test_small_contract_needs_finance_only_and_activates_its_plan(scene):
    contract = approved(scene, "120000.00")
    assert contract.status == ContractStatus.APPROVED
    statuses = set(Instalment.objects.filter(contract=contract).values_list("status", flat=True))
    assert statuses == {InstalmentStatus.PENDING}


def test_large_contract_is_approved_in_two_steps(scene):
    contract = create(scene["seller"], scene["customer"], "800000.00")
    services.contract_submit(actor=scene["seller"], contract_id=contract.pk, version=1)
    request = ApprovalRequest.objects.get(document_type="contract", object_id=contract.pk)
    assert request.steps.filter(round=request.round).count() == 2
    decide_all(contract, scene["director"])
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_APPROVAL
    decide_all(contract, scene["finance"])
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED


def test_rejection_voids_the_plan_and_allows_editing_again(scene):
    from guanxi.approvals.services import approval_decide

    contract = create(scene["seller"], scene["customer"])
    plans.plan_set(
        actor=scene["seller"],
        contract_id=contract.pk,
        rows=plans.split_plan(amount=contract.amount, count=2, first_due=START),
        version=1,
    )
    services.contract_submit(actor=scene["seller"], contract_id=contract.pk, version=2)
    request = ApprovalRequest.objects.get(document_type="contract", object_id=contract.pk)
    approval_decide(
        actor=scene["finance"],
        request_id=request.pk,
        decision="reject",
        version=request.version,
        comment="金额有误",
    )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REJECTED
    assert set(contract.instalments.values_list("status", flat=True)) == {InstalmentStatus.VOID}
    edited = services.contract_update(
        actor=scene["seller"],
        contract_id=contract.pk,
        data={"title": "ERP 实施合同（修订）"},
        version=contract.version,
    )
    assert edited.title == "ERP 实施合同（修订）"


def test_an_approved_contract_refuses_edits(scene):
    contract = approved(scene)
    with pytest.raises(Conflict) as exc:
        services.contract_update(
            actor=scene["seller"],
            contract_id=contract.pk,
            data={"amount": "1.00"},
            version=contract.version,
        )
    assert exc.value.field == "status"
    contract.refresh_from_db()
    assert contract.amount == Decimal("120000.00")
    with pytest.raises(Conflict):
        plans.plan_set(
            actor=scene["seller"],
            contract_id=contract.pk,
            rows=[{"due_date": START, "amount": "120000.00"}],
            version=contract.version,
        )


def test_an_amendment_is_approved_then_applied_and_the_plan_follows(scene):
    contract = approved(scene, "120000.00", count=3)
    amendment = services.amendment_create(
        actor=scene["seller"],
        contract_id=contract.pk,
        version=contract.version,
        data={"amount": "150000.00", "reason": "增加二期模块"},
    )
    contract.refresh_from_db()
    assert contract.amount == Decimal("120000.00")  # not before approval
    decide_all(amendment, scene["finance"], document_type="contract_amendment")
    contract.refresh_from_db()
    assert contract.amount == Decimal("150000.00") and contract.revision == 2
    amounts = list(contract.instalments.order_by("sequence").values_list("amount", flat=True))
    assert sum(amounts) == Decimal("150000.00")
    assert amounts[-1] == Decimal("70000.00")


def test_amendment_may_not_cut_below_collected(scene):
    contract = approved(scene)
    collection_services.collection_create(
        actor=scene["seller"],
        contract_id=contract.pk,
        data={"amount": "50000.00", "received_on": START},
    )
    contract.refresh_from_db()
    with pytest.raises(ValidationFailed) as exc:
        services.amendment_create(
            actor=scene["seller"],
            contract_id=contract.pk,
            version=contract.version,
            data={"amount": "40000.00", "reason": "缩减"},
        )
    assert "amount" in exc.value.errors


def test_plan_must_sum_to_the_amount(scene):
    contract = create(scene["seller"], scene["customer"])
    with pytest.raises(ValidationFailed) as exc:
        plans.plan_set(
            actor=scene["seller"],
            contract_id=contract.pk,
            rows=[{"due_date": START, "amount": "100000.00"}],
            version=1,
        )
    assert "instalments" in exc.value.errors
    assert not Instalment.objects.exists()


def test_partial_collection_fills_the_oldest_instalment(scene):
    contract = approved(scene, "90000.00", count=3)
    collection = collection_services.collection_create(
        actor=scene["seller"],
        contract_id=contract.pk,
        data={"amount": "45000.00", "received_on": START, "reference": "BANK-001"},
    )
    rows = list(contract.instalments.order_by("sequence").values_list("received", "status"))
    assert rows[0] == (Decimal("30000.00"), InstalmentStatus.RECEIVED)
    assert rows[1][0] == Decimal("15000.00")
    assert rows[2][0] == Decimal("0.00")
    contract.refresh_from_db()
    assert contract.collected == Decimal("45000.00") and contract.collected_percent == Decimal(
        "50.0"
    )
    assert collection.allocations.count() == 2


def test_over_collection_is_refused_unless_prepayment(scene):
    contract = approved(scene, "90000.00", count=3)
    with pytest.raises(ValidationFailed) as exc:
        collection_services.collection_create(
            actor=scene["seller"],
            contract_id=contract.pk,
            data={"amount": "90000.01", "received_on": START},
        )
    assert "amount" in exc.value.errors
    assert not Collection.objects.exists()
    collection = collection_services.collection_create(
        actor=scene["seller"],
        contract_id=contract.pk,
        data={"amount": "100000.00", "received_on": START, "prepayment": True},
    )
    assert collection.unallocated == Decimal("10000.00")


def test_collection_against_another_teams_contract_is_not_found(scene):
    contract = approved(scene)
    with pytest.raises(NotFound) as exc:
        collection_services.collection_create(
            actor=scene["outsider"],
            contract_id=contract.pk,
            data={"amount": "1.00", "received_on": START},
        )
    assert exc.value.field == "contract_id"
    assert not Collection.objects.exists()


def test_invoice_request_approved_issued_and_mailed(scene):
    contract = approved(scene)
    title = invoice_services.invoice_title_create(
        actor=scene["seller"],
        customer_id=scene["customer"].pk,
        data={"name": "上海关系科技有限公司", "tax_id": "91110000600037341L"},
    )
    invoice = invoice_services.invoice_request_create(
        actor=scene["seller"],
        contract_id=contract.pk,
        title_id=title.pk,
        amount="60000.00",
        tax_rate="13.00",
    )
    assert invoice.status == InvoiceStatus.REQUESTED
    decide_all(invoice, scene["finance"], document_type="invoice_request")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    issued = invoice_services.invoice_issue(
        actor=scene["seller"],
        invoice_id=invoice.pk,
        invoice_number="No.12345678",
        issued_on=None,
        version=invoice.version,
    )
    mailed = invoice_services.invoice_mail(
        actor=scene["seller"],
        invoice_id=invoice.pk,
        tracking_number="SF1234567890",
        version=issued.version,
    )
    assert mailed.status == InvoiceStatus.MAILED
    with pytest.raises(ValidationFailed) as exc:
        invoice_services.invoice_request_create(
            actor=scene["seller"],
            contract_id=contract.pk,
            title_id=title.pk,
            amount="60000.01",
            tax_rate="13",
        )
    assert "amount" in exc.value.errors
    assert InvoiceRequest.objects.count() == 1


@pytest.mark.parametrize("tax_id", ["91110000600037341X", "123", ""])
def test_company_title_needs_a_valid_uscc(scene, tax_id):
    with pytest.raises(ValidationFailed) as exc:
        invoice_services.invoice_title_create(
            actor=scene["seller"],
            customer_id=scene["customer"].pk,
            data={"name": "某公司", "tax_id": tax_id},
        )
    assert "tax_id" in exc.value.errors


def test_overdue_rule_marks_and_notifies_the_owner(scene):
    from guanxi.contracts import reminders
    from guanxi.notifications.registry import get_rule
    from guanxi.notifications.reminders import rule_run

    def run_rule(key, today):
        return rule_run(rule=get_rule(key), today=today, force=True)

    contract = approved(scene, "90000.00", count=3, first_due=dt.date(2026, 1, 10))
    today = dt.date(2026, 2, 20)  # the first two are overdue
    run_rule("contracts_instalments", today)
    statuses = list(contract.instalments.order_by("sequence").values_list("status", flat=True))
    assert statuses == ["overdue", "overdue", "pending"]
    kinds = list(
        Notification.objects.filter(recipient=scene["seller"]).values_list("kind", flat=True)
    )
    assert kinds.count(plans.OVERDUE_KIND) == 2
    run_rule("contracts_instalments", today)  # idempotent
    assert Notification.objects.filter(kind=plans.OVERDUE_KIND).count() == 2
    items = reminders.my_overdue(scene["seller"], today)
    assert len(items) == 2 and items[0].overdue


def test_numbering_is_rolled_back_with_its_contract(scene):
    with pytest.raises(RuntimeError), transaction.atomic():
        create(scene["seller"], scene["customer"])
        raise RuntimeError
    assert create(scene["seller"], scene["customer"]).number.endswith("-0001")
