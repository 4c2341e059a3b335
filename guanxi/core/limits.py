"""Input limits, stated once for forms, query strings, API schemas and import fields: text
limits read from the models (a model's ``max_length`` changes in one place and every entry
point follows), the range of record ids and the range of dates."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.db.models import Model
from django.utils.translation import gettext as _

from guanxi.core.text.cleaning import EARLIEST_DATE, LATEST_DATE, CleaningError, check_date_range


def limit(model: type[Model], field: str) -> int:
    """A text field's ``max_length`` as the model declares it: schemas and forms take their
    limits from here instead of restating them."""
    found = model._meta.get_field(field)
    max_length = getattr(found, "max_length", None)
    assert max_length is not None, f"{model.__name__}.{field} has no max_length"
    return int(max_length)


# --- record ids and dates: the one rule for web forms, query strings, the API and imports --

#: The largest BigAutoField; a larger (or negative) integer overflows the database driver.
MAX_ID: Final = 2**63 - 1


def id_message() -> str:
    return _("必须是 1 到 %(max)s 之间的整数。") % {"max": MAX_ID}


def parse_id(value: object) -> int:
    """``value`` (an int or its text) as a record id, 1…``MAX_ID``; otherwise ``ValueError``
    with a translated message (the caller names the field)."""
    if isinstance(value, bool):
        raise ValueError(_("必须是整数。"))
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(_("必须是整数。"))
        if len(digits) > 19:  # out of range whatever the digits; spares int() a huge string
            raise ValueError(id_message())
        number = int(text)
    if not 1 <= number <= MAX_ID:
        raise ValueError(id_message())
    return number


def date_range_message() -> str:
    return _("日期须在 %(earliest)s 至 %(latest)s 之间。") % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": LATEST_DATE.isoformat(),
    }


def check_date(day: dt.date) -> dt.date:
    """``day`` if it is within the accepted range (``cleaning.check_date_range``), else
    ``ValueError`` with a translated message."""
    try:
        return check_date_range(day)
    except CleaningError:
        raise ValueError(date_range_message()) from None
