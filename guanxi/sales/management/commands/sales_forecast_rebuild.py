"""``guanxi sales_forecast_rebuild``: recompute the forecast's monthly roll-up
(``sales.models_forecast``) from every opportunity, set-based, in one transaction.

The roll-up is kept by every opportunity write; run this after bulk writes that bypass
``Opportunity.save()`` (a COPY, a queryset ``update()``, a user deleted under their
opportunities) or after changing ``TIME_ZONE``.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from guanxi.sales.models_forecast import rebuild


class Command(BaseCommand):
    help = "Recompute the sales forecast's monthly roll-up from the opportunities."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        rows = rebuild()
        if options["verbosity"]:
            self.stdout.write(f"{rows} roll-up rows in {time.perf_counter() - started:.1f} s")
