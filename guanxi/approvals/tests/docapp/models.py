from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models


class Expense(models.Model):
    """A cost entry needing approval above a limit: the stand-in for a real document."""

    title = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    category = models.CharField(max_length=20, default="travel")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, default="draft")
    hook_calls = models.JSONField(default=list)

    class Meta:
        app_label = "approvals_docs"

    def __str__(self) -> str:
        return self.title
