"""Names of sales records in history and timeline rows, within the reader's scope
(``core.references``): opportunities and leads through their owner and department,
pipelines, stages and lost reasons for every staff user."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from guanxi.core.references import register_reference


def opportunity_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.sales import selectors

    return selectors.opportunity_names(actor=actor, ids=ids)


def lead_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.sales import selectors

    return selectors.lead_names(actor=actor, ids=ids)


def pipeline_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.sales import selectors

    return selectors.pipeline_names(actor=actor, ids=ids)


def stage_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.sales import selectors

    return selectors.stage_names(actor=actor, ids=ids)


def reason_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.sales import selectors

    return selectors.reason_names(actor=actor, ids=ids)


def register() -> None:
    register_reference("sales.opportunity", opportunity_names)
    register_reference("sales.lead", lead_names)
    register_reference("sales.pipeline", pipeline_names)
    register_reference("sales.stage", stage_names)
    register_reference("sales.lostreason", reason_names)
