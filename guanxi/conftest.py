from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory

# No per-example time limit: machines are shared and noisy, and a slow example is not a
# wrong one. Under CI (CI set), Hypothesis's own "ci" profile applies (no deadline either,
# derandomised).
if not os.environ.get("CI"):
    hypothesis_settings.register_profile("guanxi", deadline=None)
    hypothesis_settings.load_profile("guanxi")


@pytest.fixture
def team_a(db):
    return TeamFactory(name="华东销售部")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="华南销售部")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin1", role=Role.ADMIN, is_superuser=True, is_staff=True)


@pytest.fixture
def manager_a(team_a):
    return UserFactory(username="manager_a", role=Role.MANAGER, team=team_a)


@pytest.fixture
def am_a(team_a):
    """Account manager in team A."""
    return UserFactory(username="am_a", role=Role.ACCOUNT_MANAGER, team=team_a)


@pytest.fixture
def am_a2(team_a):
    return UserFactory(username="am_a2", role=Role.ACCOUNT_MANAGER, team=team_a)


@pytest.fixture
def am_b(team_b):
    """Account manager in team B."""
    return UserFactory(username="am_b", role=Role.ACCOUNT_MANAGER, team=team_b)


@pytest.fixture
def agent(db):
    return UserFactory(username="agent", role=Role.SERVICE_AGENT)


@pytest.fixture
def portal_user(db):
    return UserFactory(username="portal", role=Role.PORTAL)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language; a test that switches language (or a
    request that did) must not leak it into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# A browser test drives a real Chromium against a live server on a shared, noisy machine:
# a step that waits on the browser can lose a race the application does not have (seen in
# CI). Such a test is run again, up to twice, and every rerun is reported ("R" and "rerun"
# in the summary), so a test that fails for a reason of its own still fails. No other
# test is rerun.
BROWSER_RERUNS = int(os.environ.get("GUANXI_BROWSER_RERUNS", "2"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("flaky"):
            item.add_marker(pytest.mark.flaky(reruns=BROWSER_RERUNS, reruns_delay=2))
