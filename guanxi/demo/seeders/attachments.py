"""Files on the demo's records (``attachments``), added once the demo is committed, through
the attachments service as staff upload them: each file is checked, stored, audited and, on
a customer, on its timeline. Files on the portal company's ticket and contract are shared
with the customer, so the portal's documents page has content too.

The files are small PDFs drawn with reportlab's built-in CID font (ADR 0005), one page of
Chinese text each. Record types the attachments registry does not know (an app not
installed) are skipped."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.apps import apps

from guanxi.demo.seeders.accounts import ADMIN_USERNAME

# Per record type: how many of its newest records get a file, and the file's name and title.
FILES: tuple[tuple[str, int, str, str], ...] = (
    ("customer", 6, "营业执照副本.pdf", "营业执照（副本）"),
    ("ticket", 8, "现场服务报告.pdf", "现场服务报告"),
    ("contract", 5, "合同盖章扫描件.pdf", "合同盖章页（扫描件）"),
    ("project", 4, "项目启动会纪要.pdf", "项目启动会纪要"),
)


def _pdf(title: str, lines: Iterable[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)
    page.setTitle(title)
    page.setFont(font, 18)
    page.drawString(72, 770, title)
    page.setFont(font, 11)
    for i, line in enumerate(lines):
        page.drawString(72, 740 - i * 18, line)
    page.showPage()
    page.save()
    return out.getvalue()


def _newest(model: Any, text: str, count: int, portal_first: int) -> list[tuple[int, str]]:
    """(id, ``text`` field) of the newest ``count`` rows of a customer's record type, the
    portal company's newest ``portal_first`` of them first."""
    rows = model._default_manager.order_by("-pk")
    portal_customer = _portal_customer_id()
    first = list(rows.filter(customer_id=portal_customer)[:portal_first]) if portal_customer else []
    rest = list(rows.exclude(pk__in=[r.pk for r in first])[: count - len(first)])
    return [(r.pk, getattr(r, text)) for r in [*first, *rest]]


def _records(kind: str, count: int) -> list[tuple[int, str, Any]]:
    """(record id, text for the file, the uploader) of the newest ``count`` records of
    ``kind``, the portal company's first (customers: uploaded by their account manager)."""
    from guanxi.accounts.models import User

    admin = User.objects.get(username=ADMIN_USERNAME)
    if kind == "customer":
        from guanxi.customers.models import Customer

        rows = Customer.objects.select_related("owner").order_by("-pk")[:count]
        return [(c.pk, c.name, c.owner or admin) for c in rows]
    loaders = {
        "ticket": ("guanxi.service", "Ticket", "subject", 2),
        "contract": ("guanxi.contracts", "Contract", "title", 1),
        "project": ("guanxi.projects", "Project", "name", 1),
    }
    if kind not in loaders or not apps.is_installed(loaders[kind][0]):
        return []
    app, model_name, text, portal_first = loaders[kind]
    model = apps.get_model(app.rsplit(".", 1)[1], model_name)
    return [(pk, label, admin) for pk, label in _newest(model, text, count, portal_first)]


def _portal_customer_id() -> int | None:
    if not apps.is_installed("guanxi.portal"):
        return None
    from guanxi.portal.models import PortalAccount

    return PortalAccount.objects.order_by("pk").values_list("customer_id", flat=True).first()


def seed_attachments() -> str:
    if not apps.is_installed("guanxi.attachments"):
        return ""
    from guanxi.attachments import registry
    from guanxi.attachments.services import attachment_add, attachment_share
    from guanxi.core.errors import NotFound

    portal_customer = _portal_customer_id()
    added = shared = 0
    for kind, count, name, title in FILES:
        try:
            attachable = registry.attachable(kind)
        except NotFound:
            continue  # the app that owns the record type is not installed
        shareable = registry.is_shareable(kind)
        for record_id, text, actor in _records(kind, count):
            body = _pdf(title, [text, f"#{record_id}", "上海瀚海信息科技有限公司"])
            attachment = attachment_add(
                actor=actor, kind=kind, record_id=record_id, stream=io.BytesIO(body), name=name
            )
            added += 1
            customer_id = (
                record_id
                if kind == "customer"
                else attachable.model._default_manager.filter(pk=record_id)
                .values_list("customer_id", flat=True)
                .first()
            )
            if shareable and portal_customer is not None and customer_id == portal_customer:
                attachment_share(actor=actor, attachment_id=attachment.pk, shared=True)
                shared += 1
    if not added:
        return ""
    return f"附件 {added} 个（{shared} 个与客户共享）。 {added} attachments ({shared} shared)."
