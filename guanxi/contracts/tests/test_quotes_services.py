"""``services.quotes``: money on the lines, scope and permissions, bad input (the field
named, nothing written), the discount approval, sending, acceptance and revisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from guanxi.approvals import services as approvals
from guanxi.approvals.models import ApprovalRequest, RequestState
from guanxi.contracts.models import Contract, ContractStatus, Quote, QuoteLine, QuoteStatus
from guanxi.contracts.services import quotes as services
from guanxi.contracts.tests.quote_helpers import (  # noqa: F401 - fixtures
    discount_flow_fixture,
    make_quote,
    scene_fixture,
)
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry

pytestmark = pytest.mark.django_db


def _counts():
    return Quote.objects.count(), QuoteLine.objects.count(), AuditEntry.objects.count()


def test_a_quote_takes_list_prices_units_and_tax_from_the_terms(scene):
    quote = make_quote(scene, discount="5")

    lines = list(quote.lines.order_by("position"))
    assert [(line.unit, line.unit_price, line.tax_rate) for line in lines] == [
        ("套", Decimal("12800.00"), Decimal("13.00")),
        ("人天", Decimal("2500.00"), Decimal("6.00")),
    ]
    # 2 × 12800 × 0.95 = 24320.00, tax 3161.60; 3 × 2500 = 7500.00, tax 450.00
    assert quote.net_total == Decimal("31820.00")
    assert quote.tax_total == Decimal("3611.60")
    assert quote.total == Decimal("35431.60")
    assert quote.list_total == Decimal("33100.00")
    assert quote.max_discount == Decimal("5.00")
    assert quote.number.startswith("BJ") and quote.revision == 1
    assert AuditEntry.objects.filter(model="contracts.quote", object_id=str(quote.pk),
                                     customer_id=scene["customer"].pk).exists()  # fmt: skip


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "1.234"}, "quantity"),
        ({"quantity": "1", "unit_price": "12.345"}, "unit_price"),
        ({"quantity": "1", "unit_price": "-5"}, "unit_price"),
        ({"quantity": "1", "discount_percent": "100.01"}, "discount_percent"),
        ({"quantity": "1", "discount_percent": "abc"}, "discount_percent"),
        ({"quantity": "1", "unit_price": "NaN"}, "unit_price"),
        ({"quantity": "9999999999.99", "discount_percent": "100"}, "quantity"),  # 14 digits
    ],
)
def test_bad_line_input_names_the_field_and_writes_nothing(scene, line, field):
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.quote_create(
            actor=scene["seller"], opportunity_id=scene["opportunity"].pk,
            lines=[{"product_id": scene["licence"].pk, **line}],
        )  # fmt: skip
    assert field in exc.value.errors
    assert _counts() == before


def test_another_teams_opportunity_is_not_found(scene):
    before = _counts()
    with pytest.raises(NotFound) as exc:
        services.quote_create(actor=scene["seller"], opportunity_id=scene["other_opportunity"].pk)
    assert exc.value.field == "opportunity_id"
    assert _counts() == before


def test_the_outsider_neither_reads_nor_edits_the_quote(scene):
    quote = make_quote(scene)
    with pytest.raises(NotFound):
        services.quote_update(actor=scene["outsider"], quote_id=quote.pk, version=quote.version,
                              data={"title": "改"})  # fmt: skip
    quote.refresh_from_db()
    assert quote.title == "ERP 升级项目"


def test_a_validity_date_in_the_past_is_refused(scene):
    with pytest.raises(ValidationFailed) as exc:
        make_quote(scene, valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert "valid_until" in exc.value.errors


def test_a_stale_version_is_a_conflict(scene):
    quote = make_quote(scene)
    services.quote_update(actor=scene["seller"], quote_id=quote.pk, version=quote.version,
                          data={"note": "含培训"})  # fmt: skip
    with pytest.raises(Conflict):
        services.quote_update(actor=scene["seller"], quote_id=quote.pk, version=quote.version,
                              data={"note": "不含培训"})  # fmt: skip
    quote.refresh_from_db()
    assert quote.note == "含培训"


def test_editing_a_line_recomputes_the_totals(scene):
    quote = make_quote(scene)
    line = quote.lines.get(position=2)
    services.quote_line_update(actor=scene["seller"], quote_id=quote.pk, line_id=line.pk,
                               version=quote.version, data={"quantity": "1"})  # fmt: skip
    quote.refresh_from_db()
    assert quote.net_total == Decimal("25600.00") + Decimal("2500.00")
    assert quote.total == sum(x.total for x in quote.lines.all())
    services.quote_line_remove(actor=scene["seller"], quote_id=quote.pk, line_id=line.pk,
                               version=quote.version)  # fmt: skip
    quote.refresh_from_db()
    assert quote.total == Decimal("28928.00")


def test_within_the_limit_the_quote_is_sent_and_on_the_timeline(scene):
    quote = make_quote(scene, discount="10")
    quote = services.quote_send(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    assert quote.status == QuoteStatus.SENT
    entry = TimelineEntry.objects.get(customer=scene["customer"], kind="quote")
    assert quote.number in entry.title


def test_above_the_limit_sending_needs_the_approval(scene, discount_flow):
    quote = make_quote(scene, discount="25")
    with pytest.raises(ValidationFailed) as exc:
        services.quote_send(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    assert "discount_percent" in exc.value.errors
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT

    quote = services.quote_submit(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    assert quote.status == QuoteStatus.IN_APPROVAL
    with pytest.raises(Conflict):  # read-only while in approval
        services.quote_update(actor=scene["seller"], quote_id=quote.pk, version=quote.version,
                              data={"note": "x"})  # fmt: skip
    request = ApprovalRequest.objects.get(document_type="quote_discount", object_id=quote.pk)
    assert request.values["max_discount"] == "25.00"
    approvals.approval_decide(actor=scene["manager"], request_id=request.pk, decision="approve",
                              version=request.version)  # fmt: skip

    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED
    quote = services.quote_send(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    assert quote.status == QuoteStatus.SENT


def test_a_rejected_discount_returns_the_quote_to_draft(scene, discount_flow):
    quote = make_quote(scene, discount="25")
    quote = services.quote_submit(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    request = ApprovalRequest.objects.get(document_type="quote_discount", object_id=quote.pk)
    approvals.approval_decide(actor=scene["manager"], request_id=request.pk, decision="reject",
                              comment="折扣过高", version=request.version)  # fmt: skip
    quote.refresh_from_db()
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED
    assert quote.status == QuoteStatus.DRAFT
    with pytest.raises(ValidationFailed):
        services.quote_send(actor=scene["seller"], quote_id=quote.pk, version=quote.version)


def test_a_manager_sends_within_the_managers_limit(scene):
    quote = make_quote(scene, discount="25", actor=scene["manager"])
    quote = services.quote_send(actor=scene["manager"], quote_id=quote.pk, version=quote.version)
    assert quote.status == QuoteStatus.SENT


def test_submitting_within_the_limit_is_refused(scene, discount_flow):
    quote = make_quote(scene, discount="5")
    with pytest.raises(ValidationFailed):
        services.quote_submit(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    assert not ApprovalRequest.objects.exists()


def test_accepting_a_sent_quote_is_on_the_timeline(scene):
    quote = make_quote(scene)
    quote = services.quote_send(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    quote = services.quote_accept(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    assert quote.status == QuoteStatus.ACCEPTED
    contract = Contract.objects.get(pk=quote.contract_id)
    assert (contract.amount, contract.customer_id, contract.opportunity_id, contract.status) == (
        quote.total,
        quote.customer_id,
        quote.opportunity_id,
        ContractStatus.DRAFT,
    )
    titles = list(TimelineEntry.objects.filter(kind="quote").values_list("title", flat=True))
    assert len(titles) == 2 and any("接受" in t for t in titles)
    with pytest.raises(Conflict):
        services.quote_revise(actor=scene["seller"], quote_id=quote.pk, version=quote.version)


def test_revising_makes_a_new_draft_and_the_old_one_read_only(scene):
    quote = make_quote(scene)
    quote = services.quote_send(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    fresh = services.quote_revise(actor=scene["seller"], quote_id=quote.pk, version=quote.version)

    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUPERSEDED
    assert (fresh.number, fresh.revision, fresh.status) == (quote.number, 2, QuoteStatus.DRAFT)
    assert fresh.total == quote.total
    assert [line.total for line in fresh.lines.order_by("position")] == [
        line.total for line in quote.lines.order_by("position")
    ]
    line = quote.lines.first()
    with pytest.raises(Conflict):
        services.quote_line_update(actor=scene["seller"], quote_id=quote.pk, line_id=line.pk,
                                   version=quote.version, data={"quantity": "9"})  # fmt: skip


def test_sent_quotes_past_their_date_expire(scene):
    quote = make_quote(scene)
    quote = services.quote_send(actor=scene["seller"], quote_id=quote.pk, version=quote.version)
    assert services.quotes_expire(today=quote.valid_until) == 0
    assert services.quotes_expire(today=quote.valid_until + dt.timedelta(days=1)) == 1
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED


def test_a_read_only_colleague_cannot_quote(scene):
    from guanxi.accounts.models import Role
    from guanxi.accounts.tests.factories import UserFactory

    agent = UserFactory(username="q_agent", role=Role.SERVICE_AGENT, team=scene["sales"])
    with pytest.raises(PermissionDenied):
        services.quote_create(actor=agent, opportunity_id=scene["opportunity"].pk)
    assert not Quote.objects.exists()
