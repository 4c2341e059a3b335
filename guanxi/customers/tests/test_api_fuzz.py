"""Schemathesis over every operation of ``/api/v1/``, for an admin and an account manager,
with every check schemathesis has (no 5xx, every status and body as the schema documents
them, invalid input refused, valid input not refused for being invalid, …).

Bounded (``GUANXI_FUZZ_EXAMPLES`` examples per operation and role, default 8) so the whole
run stays within a few minutes on two cores. It is slow next to the rest of the suite, so
it runs only when ``GUANXI_FUZZ=1`` (``.ci/run`` sets it in its own step).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.customers.tests.test_api_support import build_scene, make_token

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.skipif(
        os.environ.get("GUANXI_FUZZ") != "1", reason="the API fuzz run: set GUANXI_FUZZ=1"
    ),
]

EXAMPLES = int(os.environ.get("GUANXI_FUZZ_EXAMPLES", "8"))


def _schema() -> Any:
    # Loaded at collection (pytest-django has set Django up by then): schemathesis' lazy
    # fixture loader does not run on this pytest.
    from config.wsgi import application

    config = SchemathesisConfig.from_dict(
        {
            "checks": {
                # A schema-valid request may still break a business rule the schema cannot
                # state (a merge of a customer with itself, an unknown run id in a filter,
                # a choice field without choices): the service answers 400/409/422, which is
                # acceptance of the request's shape. 5xx and undocumented answers still fail.
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422"]
                }
            }
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=config)


schema = _schema()


@pytest.fixture
def tokens(db: Any) -> list[str]:
    """A bearer token of an admin and of an account manager, each owning a customer with
    one of each child record."""
    team = TeamFactory(name="华东销售部")
    admin = UserFactory(username="fuzz_admin", role=Role.ADMIN, is_superuser=True, is_staff=True)
    manager = UserFactory(username="fuzz_am", role=Role.ACCOUNT_MANAGER, team=team)
    build_scene(admin)
    build_scene(manager)
    return [make_token(admin), make_token(manager)]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_operation_answers_as_documented(case: Any, tokens: list[str]) -> None:
    for token in tokens:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
