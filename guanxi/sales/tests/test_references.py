"""History rows name opportunities, leads, stages and reasons only within the reader's
scope (``sales.references`` through ``core.references``); out of scope shows ``#id``."""

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.models import AuditEntry
from guanxi.core.references import reference_names
from guanxi.core.templatetags.gx import attach_change_rows
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.models import Lead
from guanxi.sales.tests.factories import LostReasonFactory, OpportunityFactory, board

pytestmark = pytest.mark.django_db


def _rows(actor, model, changes):
    entry = AuditEntry(model=model, object_id="1", action="update", changes=changes)
    attach_change_rows([entry], actor=actor, model_attr="model", changes=lambda e: e.changes)
    return {row.field: (row.old, row.new) for row in entry.change_rows}


def test_opportunities_and_leads_are_named_only_in_scope(am_a, am_b):
    _pipeline, stages = board()
    mine = OpportunityFactory(
        customer=CustomerFactory(owner=am_a), stage=stages[0], name="我的商机"
    )
    theirs = OpportunityFactory(customer=CustomerFactory(owner=am_b), stage=stages[0],
                                name="别人的商机")  # fmt: skip
    rows = _rows(am_a, "sales.activity", {"opportunity": [mine.pk, theirs.pk]})
    assert rows["opportunity"] == ("我的商机", f"#{theirs.pk}")
    lead_mine = Lead.objects.create(source="manual", name="陈先生", company="华信", owner=am_a)
    lead_theirs = Lead.objects.create(source="manual", name="秘密", owner=am_b, team=am_b.team)
    names = reference_names(am_a, {Lead: [lead_mine.pk, lead_theirs.pk]})[Lead]
    assert names == {lead_mine.pk: "陈先生（华信）"}


def test_stages_and_reasons_are_named_for_staff_not_for_the_portal(am_a):
    _pipeline, stages = board()
    reason = LostReasonFactory(label="价格过高")
    changes = {"stage": [stages[0].pk, stages[1].pk], "reason": [None, reason.pk]}
    rows = _rows(am_a, "sales.opportunity", changes)
    assert rows["stage"] == ("初步接触", "需求确认") and rows["reason"][1] == "价格过高"
    portal = UserFactory(role=Role.PORTAL)
    assert _rows(portal, "sales.opportunity", changes)["stage"] == (
        f"#{stages[0].pk}",
        f"#{stages[1].pk}",
    )
