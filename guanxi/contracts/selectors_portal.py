"""Reads of contracts for the customer portal: which of a customer company's contracts its
shared files may come from. The portal resolves the company from the portal account (staff
scope does not apply) and imports this module, never ``contracts.models``."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.contracts.models import Contract


def customer_contract_records(customer_id: int) -> QuerySet[Contract]:
    """Every contract of the company, as bare rows (the ids of the records whose shared
    files the company sees: staff share a contract's file deliberately, whatever its
    status)."""
    return Contract.objects.filter(customer_id=customer_id)
