"""``OwnedRecord``: the one declaration of the 负责人/部门 pair that sales' opportunities and
leads share — same columns, options and reverse names as their own declarations had, so
the models need no migration."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import models

from guanxi.accounts.models import OwnedRecord, Team, User
from guanxi.sales.models import Lead, Opportunity


@pytest.mark.parametrize("model", [Opportunity, Lead])
def test_owner_and_team_come_from_the_one_abstract_model(model):
    assert issubclass(model, OwnedRecord)
    owner, team = model._meta.get_field("owner"), model._meta.get_field("team")
    for field, target in ((owner, User), (team, Team)):
        assert isinstance(field, models.ForeignKey)
        assert field.related_model is target
        assert (field.null, field.blank, field.remote_field.on_delete) == (
            True, True, models.SET_NULL,
        )  # fmt: skip
        assert field.remote_field.related_name == "+"
        assert field.column == f"{field.name}_id"


@pytest.mark.django_db
def test_the_sales_models_need_no_migration_for_it():
    call_command("makemigrations", "sales", "accounts", check=True, dry_run=True, verbosity=0)
