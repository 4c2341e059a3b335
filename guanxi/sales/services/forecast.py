"""Writes of the forecast (SPEC B3): an open opportunity's forecast category and the owner's
own win probability, which the weighted pipeline uses instead of the stage's."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import ValidationFailed
from guanxi.core.writes import check_version
from guanxi.sales.models import Opportunity, OpportunityStatus
from guanxi.sales.models_targets import ForecastCategory
from guanxi.sales.services.opportunities import opportunity_lock

UNSET: Any = object()


def _probability(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed({"probability": _("须为 0 到 100 之间的整数。")})
    try:
        number = int(str(value))
    except ValueError:
        raise ValidationFailed({"probability": _("须为 0 到 100 之间的整数。")}) from None
    if not 0 <= number <= 100:
        raise ValidationFailed({"probability": _("须为 0 到 100 之间的整数。")})
    return number


@transaction.atomic
def opportunity_set_forecast(
    *,
    actor: Any,
    opportunity_id: int,
    version: int | None,
    category: Any = UNSET,
    probability: Any = UNSET,
) -> Opportunity:
    """Put an open opportunity in a forecast category and/or set (``None``: clear) its own
    win probability. Audited on the customer's history; a stale ``version`` changes
    nothing (409)."""
    errors: dict[str, str] = {}
    if category is not UNSET and category not in ForecastCategory.values:
        errors["category"] = _("无效的选项。")
    try:
        new_probability = probability if probability is UNSET else _probability(probability)
    except ValidationFailed as exc:
        errors.update({k: v[0] for k, v in exc.errors.items()})
    if errors:
        raise ValidationFailed(errors)
    opportunity = opportunity_lock(actor, opportunity_id)
    check_version(opportunity, version)
    if opportunity.status != OpportunityStatus.OPEN:
        raise ValidationFailed({"category": _("只有进行中的商机可以调整预测。")})
    before = audit.snapshot(opportunity)
    if category is not UNSET:
        opportunity.forecast_category = category
    if new_probability is not UNSET:
        opportunity.probability = new_probability
    if not audit.diff(before, audit.snapshot(opportunity, before.keys())):
        return opportunity
    opportunity.version += 1
    opportunity.save(update_fields=["forecast_category", "probability", "version", "updated_at"])
    audit.audit_update(
        actor=actor, obj=opportunity, before=before, customer_id=opportunity.customer_id
    )
    return opportunity
