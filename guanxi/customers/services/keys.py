"""Derived search keys of customers and contacts (pinyin, name key, phone keys)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.core.text.cleaning import CleaningError, normalize_phone
from guanxi.core.text.keys import customer_search_keys
from guanxi.customers.models import Contact, Customer


def _phone_key(value: str, field: str) -> str:
    if not value:
        return ""
    try:
        return normalize_phone(value)
    except CleaningError as exc:
        raise ValidationFailed(
            {field: _("电话号码格式不正确：%(value)s") % {"value": value}}
        ) from exc


def refresh_customer_keys(customer: Customer) -> None:
    """Derived search keys (pinyin, initials, name key, phone key); also used by the admin."""
    customer.email = customer.email.strip().lower()
    (
        customer.name_pinyin,
        customer.name_initials,
        customer.name_key,
        customer.search_text,
    ) = customer_search_keys(customer.name, customer.email)
    customer.phone_key = _phone_key(customer.phone, "phone")


def refresh_contact_keys(contact: Contact) -> None:
    contact.phone_key = _phone_key(contact.phone, "phone")
    contact.mobile_key = _phone_key(contact.mobile, "mobile")
    contact.email = contact.email.strip().lower()
