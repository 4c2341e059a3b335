"""Contracts as attachable records (the signed scan, annexes): read by whoever reads the
contract; added or removed by whoever may change it — an approved contract's files stay
(a signed scan is added after approval)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from guanxi.attachments.registry import Attachable, register_attachable
from guanxi.contracts.models import Contract

KIND = "contract"


def _for_read(actor: Any, contract_id: int) -> Model:
    from guanxi.contracts import selectors

    return selectors.contract_get(actor=actor, contract_id=contract_id)


def _for_change(actor: Any, contract_id: int) -> Model:
    from guanxi.contracts.services.contracts import contract_lock

    return contract_lock(actor, contract_id)


def register() -> None:
    register_attachable(
        Attachable(
            kind=KIND,
            model=Contract,
            get_for_read=_for_read,
            get_for_change=_for_change,
            customer_id=lambda contract: getattr(contract, "customer_id", None),
        )
    )
