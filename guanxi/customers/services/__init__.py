"""Writes of the customer record and its records, one module per noun. Every function
validates, writes in one transaction, audits (actor, UTC time, old → new) and adds the
timeline entry. Other apps import the names below from ``guanxi.customers.services``."""

from guanxi.core.text.cleaning import normalize_phone
from guanxi.customers.services.collaborators import (
    customer_collaborator_add,
    customer_collaborator_remove,
)
from guanxi.customers.services.communications import (
    COMMUNICATION_FIELDS,
    communication_create,
    communication_update,
)
from guanxi.customers.services.contacts import (
    CONTACT_FIELDS,
    contact_create,
    contact_delete,
    contact_update,
)
from guanxi.customers.services.custom_fields import custom_field_create
from guanxi.customers.services.customers import (
    CUSTOMER_FIELDS,
    DUPLICATE_NOTE_LENGTH,
    customer_create,
    customer_delete,
    customer_update,
    customers_follow_owner_team,
)
from guanxi.customers.services.keys import refresh_contact_keys, refresh_customer_keys
from guanxi.customers.services.locks import customer_lock, customer_record_lock
from guanxi.customers.services.preferences import (
    PREFERENCE_FIELDS,
    preference_create,
    preference_delete,
    preference_update,
)
from guanxi.customers.services.search_keys import (
    customer_rebuild_search_keys,
    search_keys_rebuild_start,
)
from guanxi.customers.services.tags import tag_create

__all__ = [
    "COMMUNICATION_FIELDS",
    "CONTACT_FIELDS",
    "CUSTOMER_FIELDS",
    "DUPLICATE_NOTE_LENGTH",
    "PREFERENCE_FIELDS",
    "communication_create",
    "communication_update",
    "contact_create",
    "contact_delete",
    "contact_update",
    "custom_field_create",
    "customer_collaborator_add",
    "customer_collaborator_remove",
    "customer_create",
    "customer_delete",
    "customer_lock",
    "customer_rebuild_search_keys",
    "customer_record_lock",
    "customer_update",
    "customers_follow_owner_team",
    "normalize_phone",
    "preference_create",
    "preference_delete",
    "preference_update",
    "refresh_contact_keys",
    "refresh_customer_keys",
    "search_keys_rebuild_start",
    "tag_create",
]
