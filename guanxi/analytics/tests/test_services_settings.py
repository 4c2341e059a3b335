"""``services.analytics_settings_update``: validation, versions, permissions, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.analytics import services
from guanxi.analytics.models import AnalyticsSettings
from guanxi.analytics.tests import builders
from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry


def test_an_admin_changes_settings_and_the_change_is_audited(admin_user):
    row = services.analytics_settings_update(
        actor=admin_user, version=1, changes={"discount_rate": "0.02", "horizon_periods": 24}
    )
    assert (row.discount_rate, row.horizon_periods, row.version) == (Decimal("0.02"), 24, 2)
    assert row.updated_by == admin_user
    entry = AuditEntry.objects.get(model="analytics.analyticssettings")
    assert entry.changes["discount_rate"] == ["0.0100", "0.02"]
    assert entry.changes["horizon_periods"] == [12, 24]


def test_a_stale_version_is_refused_and_nothing_changes(admin_user):
    services.analytics_settings_update(actor=admin_user, version=1, changes={"period_days": 7})
    with pytest.raises(Conflict):
        services.analytics_settings_update(actor=admin_user, version=1, changes={"period_days": 1})
    assert AnalyticsSettings.objects.get().period_days == 7


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("discount_rate", "-0.5"),
        ("discount_rate", "abc"),
        ("discount_rate", "NaN"),
        ("period_days", "0"),
        ("period_days", "2.5"),
        ("horizon_periods", "500"),
        ("gross_margin", "0"),
        ("cost_per_order", "-1"),
        ("key_account_share", "1.5"),
        ("rfm_segment_map", "nonsense"),
        ("dormant_factor", ""),
    ],
)
def test_bad_values_are_refused_naming_the_field(admin_user, field, value):
    with pytest.raises(ValidationFailed) as raised:
        services.analytics_settings_update(
            actor=admin_user, version=builders.settings_version(), changes={field: value}
        )
    assert field in raised.value.errors
    assert not AnalyticsSettings.objects.exists()


def test_unknown_settings_are_refused(admin_user):
    with pytest.raises(ValidationFailed) as raised:
        services.analytics_settings_update(
            actor=admin_user, version=builders.settings_version(), changes={"pk": 2}
        )
    assert "pk" in raised.value.errors


def test_thresholds_come_in_ordered_pairs(admin_user):
    with pytest.raises(ValidationFailed) as raised:
        services.analytics_settings_update(
            actor=admin_user,
            version=builders.settings_version(),
            changes={"cycle_threshold_short": 30},
        )
    assert "cycle_threshold_long" in raised.value.errors
    with pytest.raises(ValidationFailed) as raised:
        services.analytics_settings_update(
            actor=admin_user, version=builders.settings_version(),
            changes={"amount_threshold_small": 500, "amount_threshold_large": 100},
        )  # fmt: skip
    assert "amount_threshold_large" in raised.value.errors
    row = services.analytics_settings_update(
        actor=admin_user, version=builders.settings_version(),
        changes={"cycle_threshold_short": "30", "cycle_threshold_long": "90"},
    )  # fmt: skip
    assert services.Parameters.of(row).cycle_thresholds == (30.0, 90.0)
    row = services.analytics_settings_update(
        actor=admin_user, version=builders.settings_version(),
        changes={"cycle_threshold_short": "", "cycle_threshold_long": ""},
    )  # fmt: skip
    assert services.Parameters.of(row).cycle_thresholds is None


@pytest.mark.parametrize("who", ["manager_a", "am_a", "agent", "portal_user"])
def test_only_admins_change_settings(request, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.analytics_settings_update(
            actor=actor, version=builders.settings_version(), changes={"period_days": 7}
        )
    assert not AnalyticsSettings.objects.exists()
