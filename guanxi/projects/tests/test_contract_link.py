"""A project's contract: the delivery project an approved contract starts in one click
(``project_create_from_contract`` and the record action on the contract's page), shown on
both pages; drafts, a second project and other people's contracts refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.contracts.models import Contract
from guanxi.core.errors import Conflict, NotFound, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects.models import Project
from guanxi.projects.services import projects as services
from guanxi.sales.models import OpportunityStatus
from guanxi.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

START = dt.date(2090, 3, 1)


def _contract(owner, status="approved", **extra):
    customer = extra.pop("customer", None) or CustomerFactory(owner=owner, team=owner.team)
    return Contract.objects.create(
        number=extra.pop("number", "HT-209003-0001"), title="智慧园区实施合同",
        customer=customer, owner=owner, team=owner.team, amount=Decimal("560000.00"),
        start_date=START, end_date=START + dt.timedelta(days=180), status=status, **extra,
    )  # fmt: skip


def test_an_approved_contract_starts_its_delivery_project(am_a):
    opportunity = OpportunityFactory(
        customer=CustomerFactory(owner=am_a), owner=am_a, status=OpportunityStatus.WON,
        closed_at=dt.datetime(2090, 2, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    contract = _contract(am_a, customer=opportunity.customer, opportunity=opportunity)

    project = services.project_create_from_contract(actor=am_a, contract_id=contract.pk)

    assert project.contract == contract and project.opportunity == opportunity
    assert project.customer_id == contract.customer_id
    assert (project.name, project.code) == ("智慧园区实施合同", "HT-209003-0001")
    assert project.budget == Decimal("560000.00")
    assert (project.start_date, project.due_date) == (START, contract.end_date)
    assert TimelineEntry.objects.filter(customer=contract.customer, kind="project").count() == 1
    assert AuditEntry.objects.filter(model="projects.project", action="create").count() == 1
    with pytest.raises(Conflict):
        services.project_create_from_contract(actor=am_a, contract_id=contract.pk)
    assert Project.objects.count() == 1


def test_a_draft_contract_gets_no_project(am_a):
    contract = _contract(am_a, status="draft")
    with pytest.raises(ValidationFailed) as raised:
        services.project_create_from_contract(actor=am_a, contract_id=contract.pk)
    assert list(raised.value.errors) == ["contract_id"]
    assert not Project.objects.exists()


@pytest.mark.parametrize("contract_id", ["x", 0, 2**63, None])
def test_a_bad_id_or_someone_elses_contract_is_not_found(am_a, am_b, contract_id):
    other = _contract(am_b)
    with pytest.raises(NotFound):
        services.project_create_from_contract(actor=am_a, contract_id=other.pk)
    with pytest.raises(NotFound):
        services.project_create_from_contract(actor=am_a, contract_id=contract_id)
    assert not Project.objects.exists()


def test_the_contract_page_offers_the_action_and_then_links_the_project(client, am_a):
    contract = _contract(am_a)
    client.force_login(am_a)
    page = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert 'id="contract-create-project"' in page

    response = client.post(reverse("projects:from_contract", args=[contract.pk]))

    project = Project.objects.get(contract=contract)
    assert response.status_code == 302 and response.url == project.get_absolute_url()
    page = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert 'id="contract-project-link"' in page and 'id="contract-create-project"' not in page
    detail = client.get(project.get_absolute_url()).content.decode()
    assert 'id="project-contract"' in detail and contract.number in detail


def test_a_draft_contract_page_has_no_action_and_a_refused_post_says_why(client, am_a):
    contract = _contract(am_a, status="draft")
    client.force_login(am_a)
    page = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert 'id="contract-project-action"' not in page
    response = client.post(reverse("projects:from_contract", args=[contract.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("contracts:detail", args=[contract.pk])
    assert "只有已审批或执行中的合同可以创建交付项目。" in response.content.decode()
    assert not Project.objects.exists()


API = "/api/v1/projects"


def test_api_from_contract_creates_once_and_names_the_field(client, am_a, am_b):
    contract = _contract(am_a)
    client.force_login(am_a)
    response = client.post(
        f"{API}/from-contract", data={"contract_id": contract.pk}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["contract_id"] == contract.pk
    again = client.post(
        f"{API}/from-contract", data={"contract_id": contract.pk}, content_type="application/json"
    )
    assert again.status_code == 409
    draft = _contract(am_a, status="draft", number="HT-209003-0002")
    refused = client.post(
        f"{API}/from-contract", data={"contract_id": draft.pk}, content_type="application/json"
    )
    assert refused.status_code == 422 and "contract_id" in refused.content.decode()
    huge = client.post(
        f"{API}/from-contract", data={"contract_id": 10**30}, content_type="application/json"
    )
    assert huge.status_code == 422 and "contract_id" in huge.content.decode()
    client.force_login(am_b)
    hidden = client.post(
        f"{API}/from-contract", data={"contract_id": draft.pk}, content_type="application/json"
    )
    assert hidden.status_code == 404
    assert Project.objects.count() == 1
