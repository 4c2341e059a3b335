"""Projects, deliverables and change requests as attachable records (the project's
documents: plans, minutes, reports; a deliverable's handed-over files; a change request's
specification): read by whoever reads the project, added or removed by whoever may change
it (the project row is locked first, as the project's own services do). Staff may share
such a file with the project's customer (the portal registers the three as shared kinds and
shows them on the company's project, deliverable and change request pages)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _

from guanxi.attachments.registry import Attachable, register_attachable
from guanxi.core.errors import NotFound
from guanxi.core.limits import MAX_ID
from guanxi.projects.models import ChangeRequest, Deliverable, Project

KIND = "project"
DELIVERABLE_KIND = "deliverable"
CHANGE_REQUEST_KIND = "change_request"


def _for_read(actor: Any, project_id: int) -> Project:
    from guanxi.projects import selectors

    return selectors.project_get(actor=actor, project_id=project_id, with_members=False)


def _for_change(actor: Any, project_id: int) -> Project:
    from guanxi.projects.services.plan import project_lock

    return project_lock(actor, project_id)


def _valid_id(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 1 <= value <= MAX_ID


def _child_resolvers(
    model: type[Deliverable] | type[ChangeRequest], missing: str
) -> tuple[Any, Any]:
    """Read/change resolvers for a record that belongs to a project: the project decides
    (404 outside it, 403 for a reader who may not change it); ``missing`` is the 404's
    message, the same for a record that does not exist and one the actor may not see."""

    def project_id_of(record_id: Any) -> int:
        project_id = (
            model.objects.filter(pk=record_id).values_list("project_id", flat=True).first()
            if _valid_id(record_id)
            else None
        )
        if project_id is None:
            raise NotFound(_(missing), field="record_id")
        return int(project_id)

    def for_read(actor: Any, record_id: int) -> Model:
        project = _for_read(actor, project_id_of(record_id))
        try:
            record = model.objects.get(pk=record_id, project=project)
        except model.DoesNotExist:
            raise NotFound(_(missing), field="record_id") from None
        record.project = project
        return record

    def for_change(actor: Any, record_id: int) -> Model:
        project = _for_change(actor, project_id_of(record_id))
        record = (
            model.objects.select_for_update(of=("self",))
            .filter(pk=record_id, project=project)
            .first()
        )
        if record is None:
            raise NotFound(_(missing), field="record_id")
        record.project = project
        return record

    return for_read, for_change


def _project_customer_id(record: Any) -> int | None:
    project = getattr(record, "project", None)
    return getattr(project, "customer_id", None)


def register() -> None:
    register_attachable(
        Attachable(
            kind=KIND,
            model=Project,
            get_for_read=_for_read,
            get_for_change=_for_change,
            customer_id=lambda project: getattr(project, "customer_id", None),
        )
    )
    deliverable_read, deliverable_change = _child_resolvers(Deliverable, "交付物不存在。")
    register_attachable(
        Attachable(
            kind=DELIVERABLE_KIND,
            model=Deliverable,
            get_for_read=deliverable_read,
            get_for_change=deliverable_change,
            customer_id=_project_customer_id,
        )
    )
    change_read, change_change = _child_resolvers(ChangeRequest, "需求变更不存在。")
    register_attachable(
        Attachable(
            kind=CHANGE_REQUEST_KIND,
            model=ChangeRequest,
            get_for_read=change_read,
            get_for_change=change_change,
            customer_id=_project_customer_id,
        )
    )
