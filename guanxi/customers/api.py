"""The customers REST API (``/api/v1/``): customers and what hangs off them — contacts,
preferences, communications, orders, timeline, history, purchase summary — plus the
product catalogue, tags and custom field definitions.

Each operation parses its input, calls one selector (reads, scoped by the actor) or one
service (writes: validate, audit, timeline) and returns. A record the actor may not see
answers 404, the same as one that does not exist. Portal users get 403 on every operation
here (``_staff_only``): the staff API is not theirs, whatever they ask for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    one,
    page_out,
    page_response,
    sent_fields,
)
from guanxi.core.api.versions import request_version
from guanxi.customers import selectors, services
from guanxi.customers.schemas import (
    AuditEntryOut,
    CollaboratorIn,
    CollaboratorOut,
    CommunicationCreateIn,
    CommunicationOut,
    CommunicationUpdateIn,
    ContactCreateIn,
    ContactOut,
    ContactUpdateIn,
    CustomerCreateIn,
    CustomerFiltersIn,
    CustomerListOut,
    CustomerOut,
    CustomerUpdateIn,
    CustomFieldIn,
    CustomFieldOut,
    DeleteIn,
    PreferenceCreateIn,
    PreferenceOut,
    PreferenceUpdateIn,
    TagIn,
    TagOut,
    TimelineEntryOut,
)

M = TypeVar("M", bound=Model)
F = TypeVar("F", bound=Callable[..., Any])

router = StaffRouter(
    tags=["customers"],
    allow=permissions.is_staff_actor,
    message=gettext_lazy("客户门户用户无权使用员工端 API。"),
)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


_page = page_response
_one = one
_changes = sent_fields


# --- customers -------------------------------------------------------------------------


@router.get("/customers", response=PageOut[CustomerListOut])
def customer_list(
    request: HttpRequest, filters: Query[CustomerFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    result = selectors.customer_list(
        actor=_actor(request),
        filters=selectors.validate_filters(filters.model_dump()),
        size=page.limit,
        offset=page.offset,
    )
    return page_out(result, page)


@router.post("/customers", response={201: CustomerOut})
def customer_create(request: HttpRequest, payload: CustomerCreateIn) -> Status[Any]:
    data = _changes(payload)
    owner_id, tags = data.pop("owner_id", None), data.pop("tags", None)
    customer = services.customer_create(
        actor=_actor(request),
        data=data,
        owner_id=owner_id,
        tags=tags,
        duplicate_reason=data.pop("duplicate_reason", None),
    )
    return Status(201, customer)


@router.get("/customers/{customer_id}", response=CustomerOut)
def customer_detail(request: HttpRequest, customer_id: RecordId) -> Any:
    return selectors.customer_get(actor=_actor(request), customer_id=customer_id)


@router.patch("/customers/{customer_id}", response=CustomerOut)
def customer_update(request: HttpRequest, customer_id: RecordId, payload: CustomerUpdateIn) -> Any:
    data = _changes(payload)
    version = data.pop("version")
    owner_id, tags = data.pop("owner_id", None), data.pop("tags", None)
    reason = data.pop("duplicate_reason", None)
    return services.customer_update(
        actor=_actor(request),
        customer_id=customer_id,
        data=data,
        version=version,
        owner_id=owner_id,
        tags=tags,
        duplicate_reason=reason,
    )


@router.delete("/customers/{customer_id}", response={204: None})
def customer_delete(
    request: HttpRequest, customer_id: RecordId, params: Query[DeleteIn]
) -> Status[None]:
    services.customer_delete(
        actor=_actor(request),
        customer_id=customer_id,
        version=request_version(request, params.version),
    )
    return Status(204, None)


@router.get("/customers/{customer_id}/timeline", response=PageOut[TimelineEntryOut])
def customer_timeline(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    """Newest first."""
    customer = selectors.customer_get(actor=_actor(request), customer_id=customer_id)
    result = selectors.timeline_page(customer=customer, size=page.limit, offset=page.offset)
    return page_out(result, page)


@router.get("/customers/{customer_id}/history", response=PageOut[AuditEntryOut])
def customer_history(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    """Every audited change of the customer and its contacts, orders, …, newest first."""
    customer = selectors.customer_get(actor=_actor(request), customer_id=customer_id)
    result = selectors.change_history_page(customer=customer, size=page.limit, offset=page.offset)
    return page_out(result, page)


# --- collaborators (团队成员) -----------------------------------------------------------------


@router.get("/customers/{customer_id}/collaborators", response=PageOut[CollaboratorOut])
def collaborator_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    """The users the customer is shared with beyond its account manager's scope, in the
    order they were added."""
    customer = selectors.customer_get(actor=_actor(request), customer_id=customer_id)
    return _page(selectors.collaborators_of(customer=customer), page)


@router.post("/customers/{customer_id}/collaborators", response={201: CollaboratorOut})
def collaborator_add(
    request: HttpRequest, customer_id: RecordId, payload: CollaboratorIn
) -> Status[Any]:
    """Share the customer with a user, read-only or read-write; for those who may change
    the customer. 409 (``user_id``) if already shared with them: remove first to change
    the access."""
    collaborator = services.customer_collaborator_add(
        actor=_actor(request),
        customer_id=customer_id,
        user_id=payload.user_id,
        access=payload.access,
    )
    return Status(201, collaborator)


@router.delete("/customers/{customer_id}/collaborators/{user_id}", response={204: None})
def collaborator_remove(
    request: HttpRequest, customer_id: RecordId, user_id: RecordId
) -> Status[None]:
    """Stop sharing the customer with the user; 404 (``user_id``) if it was not shared."""
    services.customer_collaborator_remove(
        actor=_actor(request), customer_id=customer_id, user_id=user_id
    )
    return Status(204, None)


# --- contacts --------------------------------------------------------------------------


@router.get("/customers/{customer_id}/contacts", response=PageOut[ContactOut])
def contact_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    actor = _actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    qs = selectors.scoped_contacts(actor=actor).filter(customer_id=customer.pk)
    return _page(qs.order_by("-is_primary", "name", "id"), page)


@router.post("/customers/{customer_id}/contacts", response={201: ContactOut})
def contact_create(
    request: HttpRequest, customer_id: RecordId, payload: ContactCreateIn
) -> Status[Any]:
    data = _changes(payload)
    contact = services.contact_create(
        actor=_actor(request),
        customer_id=customer_id,
        data=data,
        duplicate_reason=data.pop("duplicate_reason", None),
    )
    return Status(201, contact)


@router.get("/contacts/{contact_id}", response=ContactOut)
def contact_detail(request: HttpRequest, contact_id: RecordId) -> Any:
    return _one(selectors.scoped_contacts(actor=_actor(request)), contact_id, _("记录不存在。"))


@router.patch("/contacts/{contact_id}", response=ContactOut)
def contact_update(request: HttpRequest, contact_id: RecordId, payload: ContactUpdateIn) -> Any:
    data = _changes(payload)
    version, reason = data.pop("version"), data.pop("duplicate_reason", None)
    return services.contact_update(
        actor=_actor(request),
        contact_id=contact_id,
        version=version,
        data=data,
        duplicate_reason=reason,
    )


@router.delete("/contacts/{contact_id}", response={204: None})
def contact_delete(
    request: HttpRequest, contact_id: RecordId, params: Query[DeleteIn]
) -> Status[None]:
    services.contact_delete(
        actor=_actor(request),
        contact_id=contact_id,
        version=request_version(request, params.version),
    )
    return Status(204, None)


# --- preferences -----------------------------------------------------------------------


@router.get("/customers/{customer_id}/preferences", response=PageOut[PreferenceOut])
def preference_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    actor = _actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    qs = selectors.scoped_preferences(actor=actor).filter(customer_id=customer.pk)
    return _page(qs.order_by("category", "key", "id"), page)


@router.post("/customers/{customer_id}/preferences", response={201: PreferenceOut})
def preference_create(
    request: HttpRequest, customer_id: RecordId, payload: PreferenceCreateIn
) -> Status[Any]:
    preference = services.preference_create(
        actor=_actor(request), customer_id=customer_id, data=_changes(payload)
    )
    return Status(201, preference)


@router.get("/preferences/{preference_id}", response=PreferenceOut)
def preference_detail(request: HttpRequest, preference_id: RecordId) -> Any:
    qs = selectors.scoped_preferences(actor=_actor(request))
    return _one(qs, preference_id, _("记录不存在。"))


@router.patch("/preferences/{preference_id}", response=PreferenceOut)
def preference_update(
    request: HttpRequest, preference_id: RecordId, payload: PreferenceUpdateIn
) -> Any:
    data = _changes(payload)
    return services.preference_update(
        actor=_actor(request), preference_id=preference_id, version=data.pop("version"), data=data
    )


@router.delete("/preferences/{preference_id}", response={204: None})
def preference_delete(
    request: HttpRequest, preference_id: RecordId, params: Query[DeleteIn]
) -> Status[None]:
    services.preference_delete(
        actor=_actor(request),
        preference_id=preference_id,
        version=request_version(request, params.version),
    )
    return Status(204, None)


# --- communications --------------------------------------------------------------------


@router.get("/customers/{customer_id}/communications", response=PageOut[CommunicationOut])
def communication_list(
    request: HttpRequest, customer_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    """Newest first."""
    actor = _actor(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    qs = selectors.scoped_communications(actor=actor).filter(customer_id=customer.pk)
    return _page(qs.order_by("-occurred_at", "-id"), page)


@router.post("/customers/{customer_id}/communications", response={201: CommunicationOut})
def communication_create(
    request: HttpRequest, customer_id: RecordId, payload: CommunicationCreateIn
) -> Status[Any]:
    communication = services.communication_create(
        actor=_actor(request), customer_id=customer_id, data=_changes(payload)
    )
    return Status(201, communication)


@router.get("/communications/{communication_id}", response=CommunicationOut)
def communication_detail(request: HttpRequest, communication_id: RecordId) -> Any:
    qs = selectors.scoped_communications(actor=_actor(request))
    return _one(qs, communication_id, _("记录不存在。"))


@router.patch("/communications/{communication_id}", response=CommunicationOut)
def communication_update(
    request: HttpRequest, communication_id: RecordId, payload: CommunicationUpdateIn
) -> Any:
    data = _changes(payload)
    return services.communication_update(
        actor=_actor(request),
        communication_id=communication_id,
        version=data.pop("version"),
        data=data,
    )


# --- tags & custom fields ----------------------------------------------------------------


@router.get("/tags", response=PageOut[TagOut])
def tag_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    return _page(selectors.tags(actor=_actor(request)).order_by("name"), page)


@router.post("/tags", response={201: TagOut})
def tag_create(request: HttpRequest, payload: TagIn) -> Status[Any]:
    """Admins only (tags are a setting); tagging a customer with a new name through
    ``PATCH /customers/{id}`` creates it for admins, managers and account managers."""
    tag = services.tag_create(actor=_actor(request), name=payload.name, color=payload.color)
    return Status(201, tag)


@router.get("/custom-fields", response=PageOut[CustomFieldOut])
def custom_field_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    return _page(selectors.custom_field_definitions(actor=_actor(request)), page)


@router.post("/custom-fields", response={201: CustomFieldOut})
def custom_field_create(request: HttpRequest, payload: CustomFieldIn) -> Status[Any]:
    """Admins only."""
    definition = services.custom_field_create(actor=_actor(request), data=_changes(payload))
    return Status(201, definition)
