"""Customers as attachable records (registered in ``CustomersConfig.ready()``): scope for
reading and changing their files is the customer's own, each upload and deletion is an
entry on the customer's timeline, and the 360 page shows an attachments panel."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from guanxi.accounts import permissions
from guanxi.attachments.models import Attachment
from guanxi.attachments.panels import PANEL, panel_context
from guanxi.attachments.registry import Attachable, register_attachable
from guanxi.core.errors import NotFound
from guanxi.customers.models import Customer
from guanxi.customers.panels import CustomerPanel, register_panel
from guanxi.customers.timeline import TimelineText, register_kind, timeline_add

KIND = "customer"


def _customer_for_read(actor: Any, customer_id: int) -> Model:
    customer = (
        permissions.scope_customers(actor, Customer.objects.all(), one=True)
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound(_("客户不存在。"))
    return customer


def _customer_for_change(actor: Any, customer_id: int) -> Model:
    from guanxi.customers.services import customer_lock

    return customer_lock(actor, customer_id)


def _timeline(actor: Any, customer: Model, attachment: Attachment, msgid: str) -> None:
    timeline_add(
        customer_id=customer.pk,
        kind="attachment",
        occurred_at=timezone.now(),
        title=TimelineText(msgid, {"name": attachment.name}),
        actor=actor,
        subject=attachment,
    )


def _added(actor: Any, customer: Model, attachment: Attachment) -> None:
    _timeline(actor, customer, attachment, gettext_noop("上传附件 %(name)s"))


def _removed(actor: Any, customer: Model, attachment: Attachment) -> None:
    _timeline(actor, customer, attachment, gettext_noop("删除附件 %(name)s"))


def _panel(request: HttpRequest, customer: Customer, can_change: bool) -> dict[str, Any]:
    return panel_context(actor=request.user, kind=KIND, record=customer, can_change=can_change)


def register() -> None:
    register_kind("attachment", label=gettext_lazy("附件"), icon="📎", color="secondary")
    register_attachable(
        Attachable(
            kind=KIND,
            model=Customer,
            get_for_read=_customer_for_read,
            get_for_change=_customer_for_change,
            customer_id=lambda customer: int(customer.pk),
            on_added=_added,
            on_removed=_removed,
        )
    )
    register_panel(
        CustomerPanel(
            key="attachments",
            template=PANEL,
            refresh_template=f"{PANEL}#attachment-list",
            context=_panel,
            column="side",
            order=40,
        )
    )
