"""The sales models in the Django admin, audited old → new like every admin write
(``core.admin.AuditedAdmin``). Fields the app keeps consistent — an opportunity's stage,
rank, status and close time, a lead's conversion and search keys — are read-only here:
moving, winning, losing and converting go through the app's services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from guanxi.core.admin import AuditedAdmin
from guanxi.core.text.cleaning import CleaningError, normalize_phone
from guanxi.core.text.keys import stored_name_key
from guanxi.sales.models import (
    Activity,
    AssignmentRule,
    Lead,
    LostReason,
    Opportunity,
    OpportunityLine,
    Pipeline,
    Stage,
    WinModel,
)


@admin.register(Pipeline)
class PipelineAdmin(AuditedAdmin):
    list_display = ("name", "team", "is_default", "order", "active")
    readonly_fields = ("version",)


@admin.register(Stage)
class StageAdmin(AuditedAdmin):
    list_display = ("name", "pipeline", "order", "win_probability", "kind")
    list_filter = ("pipeline", "kind")
    readonly_fields = ("version",)


@admin.register(LostReason)
class LostReasonAdmin(AuditedAdmin):
    list_display = ("code", "label", "applies_to_invalid", "active", "order")


@admin.register(Opportunity)
class OpportunityAdmin(AuditedAdmin):
    list_display = ("name", "customer", "stage", "status", "amount", "owner", "expected_close")
    list_filter = ("pipeline", "status")
    search_fields = ("name", "customer__name")
    raw_id_fields = ("customer", "owner", "created_by")
    readonly_fields = ("pipeline", "stage", "status", "position", "closed_at", "version")

    def before_save(self, request: HttpRequest, obj: Any) -> None:
        obj.team_id = obj.owner.team_id if obj.owner else None


@admin.register(OpportunityLine)
class OpportunityLineAdmin(AuditedAdmin):
    list_display = ("opportunity", "product", "quantity", "unit_price")
    raw_id_fields = ("opportunity", "product")

    def customer_id_of(self, obj: Any) -> int | None:
        return int(obj.opportunity.customer_id) if obj.opportunity_id else None


@admin.register(Activity)
class ActivityAdmin(AuditedAdmin):
    list_display = ("customer", "opportunity", "kind", "at", "actor")
    raw_id_fields = ("customer", "opportunity", "actor")


@admin.register(Lead)
class LeadAdmin(AuditedAdmin):
    list_display = ("name", "company", "source", "status", "owner", "created_at")
    list_filter = ("source", "status")
    search_fields = ("name", "company", "phone_key", "email")
    raw_id_fields = ("owner", "created_by", "converted_customer", "converted_opportunity")
    readonly_fields = ("status", "converted_customer", "converted_opportunity", "converted_at",
                       "company_key", "phone_key", "source_ip_hash", "version")  # fmt: skip

    def customer_id_of(self, obj: Any) -> int | None:
        return obj.converted_customer_id  # type: ignore[no-any-return]

    def before_save(self, request: HttpRequest, obj: Any) -> None:
        obj.team_id = obj.owner.team_id if obj.owner else None
        obj.company_key = stored_name_key(obj.company) if obj.company else ""
        try:
            obj.phone_key = normalize_phone(obj.phone) if obj.phone else ""
        except CleaningError:
            obj.phone_key = ""


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(AuditedAdmin):
    list_display = ("name", "method", "team", "order", "active")
    readonly_fields = ("last_assigned", "version")


@admin.register(WinModel)
class WinModelAdmin(AuditedAdmin):
    """The trained win-probability models (``sales.scoring``): read here, written by the
    training job only."""

    list_display = ("trained_at", "closed_count", "won_count", "metrics")
    readonly_fields = ("closed_count", "won_count", "features", "coefficients", "intercept",
                       "means", "scales", "stats", "metrics")  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# Targets (SPEC B4): the pages and API check who may set which; the admin is the
# superuser's way around them, audited like every admin write.
from guanxi.sales.models_targets import Target, TargetPolicy  # noqa: E402


@admin.register(Target)
class TargetAdmin(AuditedAdmin):
    list_display = ("metric", "year", "month", "owner", "team", "value")
    list_filter = ("metric", "year", "team")
    readonly_fields = ("version", "created_by")


@admin.register(TargetPolicy)
class TargetPolicyAdmin(AuditedAdmin):
    list_display = ("band_percent", "history_months", "updated_at")


# The public pool (公海池, SPEC B6): pools, members and rules are the superuser's to correct
# here (audited like every admin write); a customer's pool state and the pool's history
# are written by the pool's services only (claim, assign, return, recycle) and read here.
from guanxi.sales.models_pool import Pool, PoolCustomer, PoolEvent, PoolMember, PoolRule  # noqa: E402


@admin.register(Pool)
class PoolAdmin(AuditedAdmin):
    list_display = ("name", "active", "mask_contacts", "daily_claim_limit", "hold_cap", "order")
    list_filter = ("active",)
    search_fields = ("name",)
    readonly_fields = ("version",)


@admin.register(PoolMember)
class PoolMemberAdmin(AuditedAdmin):
    list_display = ("pool", "user", "is_admin", "created_at")
    list_filter = ("pool", "is_admin")
    raw_id_fields = ("user",)


@admin.register(PoolRule)
class PoolRuleAdmin(AuditedAdmin):
    list_display = ("pool", "kind", "days", "remind_days", "active")
    list_filter = ("pool", "kind")
    readonly_fields = ("version",)


class _ReadOnlyAdmin(AuditedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PoolCustomer)
class PoolCustomerAdmin(_ReadOnlyAdmin):
    list_display = ("customer", "pool", "locked", "previous_owner", "returned_at", "owner_since")
    list_filter = ("pool", "locked")
    list_select_related = ("customer", "pool", "previous_owner")
    raw_id_fields = ("customer",)


@admin.register(PoolEvent)
class PoolEventAdmin(_ReadOnlyAdmin):
    list_display = ("at", "pool", "kind", "customer", "actor", "owner")
    list_filter = ("pool", "kind")
    list_select_related = ("pool", "customer", "actor", "owner")
    raw_id_fields = ("customer",)


# The forecast's monthly roll-up: kept by the opportunity writes, rebuilt by
# ``manage.py sales_forecast_rebuild``; read here, never edited.
from guanxi.sales.models_forecast import ForecastRollup  # noqa: E402


@admin.register(ForecastRollup)
class ForecastRollupAdmin(_ReadOnlyAdmin):
    list_display = ("month", "bucket", "pipeline_id", "stage", "owner_id", "team_id", "n",
                    "amount")  # fmt: skip
    list_filter = ("bucket", "month")
