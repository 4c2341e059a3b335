"""What change requests and deliverable acceptance add to the house through its registries
(called from ``ProjectsConfig.ready()``): the ``change_request`` approval document (its
internal review; flow conditions on the cost and schedule deltas) and the notification
kinds the project manager receives. Timeline entries use the ``project`` kind."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.approvals.registry import ApprovalEvent, ConditionField, DocumentType


def _project(document: Any) -> Any:
    return document.project


def _can_submit(actor: Any, document: Any) -> bool:
    from guanxi.projects import selectors

    return selectors.can_change(actor, _project(document))


def _can_read(actor: Any, document: Any) -> bool:
    from guanxi.projects import selectors

    return selectors.can_use(actor) and selectors.can_read(actor, _project(document))


def _approved(event: ApprovalEvent) -> None:
    from guanxi.projects.services.changes import on_review_approved

    on_review_approved(event.document, event.actor, event.comment)  # type: ignore[arg-type]


def _rejected(event: ApprovalEvent) -> None:
    from guanxi.projects.services.changes import on_review_rejected

    on_review_rejected(event.document, event.actor, event.comment)  # type: ignore[arg-type]


def _url(document: Any) -> str:
    return str(document.get_absolute_url())


def _customer(document: Any) -> int | None:
    return int(document.project.customer_id)


def _title(document: Any) -> str:
    return f"{document.project.name} · CR-{document.number} {document.title}"


def register() -> None:
    from guanxi.approvals.registry import register_document
    from guanxi.notifications.registry import NotificationKind
    from guanxi.notifications.registry import register_kind as register_notification_kind
    from guanxi.projects.models import ChangeRequest
    from guanxi.projects.services import acceptance, changes

    register_document(
        DocumentType(
            key=changes.DOCUMENT_TYPE,
            label=_("需求变更"),
            model=ChangeRequest,
            fields=(
                ConditionField("cost_delta", _("成本变化")),
                ConditionField("schedule_delta_days", _("工期变化（工作日）")),
            ),
            can_submit=_can_submit,
            can_read=_can_read,
            title_of=_title,
            url_of=_url,
            customer_of=_customer,
            on_approved=_approved,
            on_rejected=_rejected,
        )
    )
    register_notification_kind(NotificationKind(changes.NOTIFY_KIND, _("需求变更")))
    register_notification_kind(NotificationKind(acceptance.NOTIFY_KIND, _("交付物验收")))
