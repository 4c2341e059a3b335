"""Two customer companies with everything the portal shows — projects (tasks, a milestone,
a deliverable), tickets (public messages and an internal note), a CSAT survey and a file —
and a portal account for each; secrets planted in every staff-internal field, so a test can
search any portal answer for them."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.attachments.models import Attachment
from guanxi.attachments.storage import attachment_storage
from guanxi.attachments.tests.conftest import PNG_BYTES
from guanxi.core.tokens import token_digest
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.portal.models import PortalAccount, PortalRole, PortalToken
from guanxi.portal.services import API_TOKEN_PREFIX
from guanxi.projects.models import AcceptanceCriterion, ChangeRequest, Deliverable
from guanxi.projects.tests.factories import ProjectFactory, TaskFactory
from guanxi.service.models import MessageKind, Survey, SurveyKind, TicketMessage, TicketStatus
from guanxi.service.tests.factories import TicketFactory

__all__ = ["PASSWORD", "SECRET", "Company", "make_company"]

_SEQUENCE = itertools.count(1)
# Planted in internal notes, task notes, contact notes and project scope: never in the portal.
SECRET = "INTERNAL-ONLY-7f3a"


@dataclass
class Company:
    customer: Any
    contact: Any
    account: PortalAccount
    project: Any
    ticket: Any
    survey: Any
    attachment: Any
    token: str
    change: Any
    deliverable: Any

    @property
    def user(self) -> Any:
        return self.account.user

    def ids(self) -> dict[str, int]:
        """Every id a portal URL or API operation takes, of this company's records."""
        return {
            "project_id": self.project.pk,
            "ticket_id": self.ticket.pk,
            "survey_id": self.survey.pk,
            "attachment_id": self.attachment.pk,
            "change_request_id": self.change.pk,
            "deliverable_id": self.deliverable.pk,
            "token_id": PortalToken.objects.filter(account=self.account).get().pk,
        }


def make_company(name: str, *, role: str = PortalRole.APPROVER) -> Company:
    owner = UserFactory(role=Role.ACCOUNT_MANAGER)
    customer = CustomerFactory(name=name, owner=owner)
    email = f"portal{next(_SEQUENCE)}@example.com"
    contact = ContactFactory(customer=customer, email=email, notes=SECRET)
    user = UserFactory(username=f"p-{name}", email=email, role=Role.PORTAL)
    account = PortalAccount.objects.create(
        user=user, customer=customer, contact=contact, contact_bound=True, role=role
    )
    project = ProjectFactory(customer=customer, name=f"{name}项目", scope=SECRET)
    TaskFactory(project=project, name="需求调研", progress=100, notes=SECRET)
    TaskFactory(project=project, name="上线", milestone=True, duration_days=0, notes=SECRET)
    deliverable = Deliverable.objects.create(
        project=project, name="需求说明书", due_date=dt.date(2027, 3, 5), status="submitted"
    )
    AcceptanceCriterion.objects.create(deliverable=deliverable, text="覆盖全部业务流程")
    change = ChangeRequest.objects.create(
        project=project, number=1, title="增加两张报表", status="awaiting_customer",
        scope_impact="新增月报和季报", cost_delta=Decimal("5000.00"), schedule_delta_days=3,
        review_note=SECRET,
    )  # fmt: skip
    ticket = TicketFactory(
        customer=customer, contact=contact, subject=f"{name}打印机卡纸",
        status=TicketStatus.WAITING, requester_email=user.email,
    )  # fmt: skip
    TicketMessage.objects.create(ticket=ticket, kind=MessageKind.INCOMING, body="打印机卡纸")
    TicketMessage.objects.create(ticket=ticket, kind=MessageKind.REPLY, body="请提供型号")
    TicketMessage.objects.create(ticket=ticket, kind=MessageKind.NOTE, body=f"{SECRET} 客户难缠")
    now = timezone.now()
    survey = Survey.objects.create(
        kind=SurveyKind.CSAT, token_hash=token_digest(f"mailed-link-token-{name}-0123456789"),
        ticket=ticket, customer=customer, contact=contact, email=user.email,
        sent_at=now, expires_at=now + dt.timedelta(days=14),
    )  # fmt: skip
    stored = attachment_storage().save(f"attachments/{name}.png", ContentFile(PNG_BYTES))
    attachment = Attachment.objects.create(
        target_model="service.ticket", target_id=str(ticket.pk), name="screen.png",
        size=len(PNG_BYTES), content_type="image/png", sha256="0" * 64, stored_name=stored,
    )  # fmt: skip
    raw = f"{API_TOKEN_PREFIX}{name}-token-0123456789abcdef"
    PortalToken.objects.create(
        account=account, name="ERP", prefix=raw[:12], key_hash=token_digest(raw)
    )
    return Company(
        customer, contact, account, project, ticket, survey, attachment, raw, change, deliverable
    )


@pytest.fixture
def company_a(db) -> Company:
    return make_company("甲")


@pytest.fixture
def company_b(db) -> Company:
    return make_company("乙")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
