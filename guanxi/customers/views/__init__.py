"""The customer web UI, one module per noun. Views parse input, call one selector or
service, and render; every read goes through ``customers.selectors`` (scoped by the actor)
and every write through ``customers.services``. ``customers.urls`` uses the names below."""

from guanxi.customers.views.collaborators import collaborator_add, collaborator_remove
from guanxi.customers.views.communications import (
    communication_add,
    communication_edit,
    communication_list,
    follow_up_done,
)
from guanxi.customers.views.contacts import (
    contact_add,
    contact_delete,
    contact_duplicate_check,
    contact_edit,
    contact_list,
    contact_row,
)
from guanxi.customers.views.customers import (
    customer_create,
    customer_delete,
    customer_detail,
    customer_edit,
    customer_list,
    customer_section,
    customer_timeline,
    duplicate_check,
)
from guanxi.customers.views.preferences import (
    preference_add,
    preference_delete,
    preference_edit,
    preference_row,
)

__all__ = [
    "collaborator_add",
    "collaborator_remove",
    "communication_add",
    "communication_edit",
    "communication_list",
    "contact_add",
    "contact_delete",
    "contact_duplicate_check",
    "contact_edit",
    "contact_list",
    "contact_row",
    "customer_create",
    "customer_delete",
    "customer_detail",
    "customer_edit",
    "customer_list",
    "customer_section",
    "customer_timeline",
    "duplicate_check",
    "follow_up_done",
    "preference_add",
    "preference_delete",
    "preference_edit",
    "preference_row",
]
