"""The demo's quotes, contracts and receivables (``guanxi.demo.seeders.contracts``): every
status of quotes, contracts, instalments and invoice requests is there, the live approvals
wait on demo users' "my day", the money adds up, and every contracts page has content for
the administrator and for an account manager."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.approvals.models import ApprovalRequest, RequestState
from guanxi.approvals.selectors import pending_steps
from guanxi.contracts.models import (
    AmendmentStatus,
    Collection,
    Contract,
    ContractAmendment,
    ContractStatus,
    Instalment,
    InstalmentStatus,
    InvoiceRequest,
    InvoiceStatus,
    Quote,
    QuoteStatus,
)
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.demo.build import build_demo

# The services the seeder calls date their work by the clock (an instalment is overdue
# after today's date), so the demo is built for the real today here.
TODAY = timezone.localdate()
pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    return build_demo(customers=60, today=TODAY)


def test_every_status_is_in_the_demo(loaded):
    assert set(Contract.objects.values_list("status", flat=True)) == set(ContractStatus.values)
    assert set(Instalment.objects.values_list("status", flat=True)) == set(InstalmentStatus.values)
    assert set(InvoiceRequest.objects.values_list("status", flat=True)) == set(InvoiceStatus.values)
    quotes = set(Quote.objects.values_list("status", flat=True))
    assert {"draft", "in_approval", "sent", "accepted", "expired"} <= quotes
    assert Collection.objects.filter(prepayment=True, unallocated__gt=0).count() == 1
    pending = ContractAmendment.objects.get(status=AmendmentStatus.IN_APPROVAL)
    assert pending.contract.status == ContractStatus.ACTIVE
    accepted = Quote.objects.get(status=QuoteStatus.ACCEPTED)
    assert Contract.objects.get(pk=accepted.contract_id).status == ContractStatus.DRAFT
    assert loaded.counts["contracts"] == Contract.objects.count()


def test_the_live_approvals_wait_on_demo_users(loaded):
    zhangwei = User.objects.get(username="zhangwei")
    admin = User.objects.get(username="admin")
    waiting = {(s.request.document_type, s.name) for s in pending_steps(actor=zhangwei)}
    assert ("contract", "销售总监审批") in waiting
    assert ("quote_discount", "直属上级审批") in waiting
    at_finance = {s.request.document_type for s in pending_steps(actor=admin)}
    assert {"contract", "contract_amendment", "invoice_request"} <= at_finance
    big = Contract.objects.get(status=ContractStatus.IN_APPROVAL, amount__gt=500000)
    request = ApprovalRequest.objects.get(document_type="contract", object_id=big.pk)
    assert request.state == RequestState.PENDING
    approved = ApprovalRequest.objects.filter(document_type="contract", state="approved")
    assert approved.count() >= 8


def test_the_money_adds_up(loaded):
    for contract in Contract.objects.exclude(status=ContractStatus.TERMINATED):
        planned = contract.instalments.aggregate(s=Sum("amount"))["s"]
        assert planned == contract.amount, contract.number
        received = contract.instalments.aggregate(s=Sum("received"))["s"] or Decimal("0")
        unallocated = contract.collections.aggregate(s=Sum("unallocated"))["s"] or Decimal("0")
        assert contract.collected == received + unallocated, contract.number
        counted = (
            contract.invoices.exclude(status=InvoiceStatus.REJECTED).aggregate(s=Sum("amount"))["s"]
            or 0
        )
        assert contract.invoiced == counted, contract.number
    for instalment in Instalment.objects.filter(status=InstalmentStatus.OVERDUE):
        assert instalment.due_date < TODAY and instalment.received < instalment.amount
    assert not Instalment.objects.filter(
        status__in=["pending", "partly"], due_date__lt=TODAY
    ).exists()
    # Written through the services: audited and on the customers' timelines.
    assert AuditEntry.objects.filter(model="contracts.contract", action="create").count() == (
        Contract.objects.count()
    )
    assert TimelineEntry.objects.filter(kind="contract").count() >= Contract.objects.count()


@pytest.mark.parametrize("username", ["admin", "lina"])
def test_every_contracts_page_has_content(client, loaded, username):
    user = User.objects.get(username=username)
    client.force_login(user)
    mine = Contract.objects.all() if username == "admin" else Contract.objects.filter(owner=user)
    assert mine.count() >= 5
    page = client.get(reverse("contracts:list")).content.decode()
    for contract in mine:
        assert contract.number in page
    for contract in mine:
        response = client.get(reverse("contracts:detail", args=[contract.pk]))
        assert response.status_code == 200
        assert contract.title in response.content.decode()
    for group in ("customer", "owner", "team"):
        response = client.get(reverse("contracts:receivables"), {"group_by": group})
        assert response.status_code == 200
        assert len(response.context["rows"]) >= 1
        assert response.context["grand_total"] > 0
    assert len(response.context["overdue"].items) >= 1
    quotes = client.get(reverse("contracts:quote_list"))
    assert quotes.status_code == 200
    shown = Quote.objects.all() if username == "admin" else Quote.objects.filter(created_by=user)
    assert shown.count() >= 3
    for quote in shown:
        assert quote.number in quotes.content.decode()
        detail = client.get(reverse("contracts:quote_detail", args=[quote.pk]))
        assert detail.status_code == 200


def test_my_day_shows_the_overdue_receivables_and_the_approvals(client, loaded):
    client.force_login(User.objects.get(username="lina"))
    html = client.get(reverse("notifications:my_day")).content.decode()
    overdue = Instalment.objects.filter(
        status=InstalmentStatus.OVERDUE, owner__username="lina"
    ).first()
    assert overdue is not None and overdue.contract.number in html
    client.force_login(User.objects.get(username="zhangwei"))
    html = client.get(reverse("notifications:my_day")).content.decode()
    big = Contract.objects.get(status=ContractStatus.IN_APPROVAL, amount__gt=500000)
    assert big.number in html or big.title in html
