"""Every write service is exercised here inside ``assert_writes_audited``: a write path
that skips the audit fails, and a new service without a scenario below fails too."""

import datetime as dt
import inspect

import pytest

from guanxi.accounts import services as account_services
from guanxi.core.testing import assert_writes_audited
from guanxi.customers import services
from guanxi.customers.duplicates import services as merge_services
from guanxi.customers.tests.factories import (
    CommunicationFactory,
    ContactFactory,
    CustomerCollaboratorFactory,
    CustomerFactory,
    OrderFactory,
    PreferenceFactory,
    ProductFactory,
)
from guanxi.orders import services as order_services

# Functions in the services modules that are not user writes of audited records.
NOT_WRITES = {
    "refresh_customer_keys",  # derived keys, called by writes
    "refresh_contact_keys",
    "customer_rebuild_search_keys",  # derived keys only
    "search_keys_rebuild_start",  # creates a Job (itself the record)
    "normalize_phone",
    "pinyin_keys",
    "search_text",
    "timeline_add",
    "security_log",
    "hash_token",
    "token_authenticate",
    "validate_password",
    "customer_relations",  # merge: introspection helper
    "default_choices",  # merge: suggested field choices, no write
    # A review decision on derived data (no audited model is written); its audit entry is
    # asserted in duplicates/test_services.test_dismiss_marks_the_pair_and_is_audited.
    "candidate_dismiss",
    "customer_lock",  # fetch-and-lock helpers for other apps' writes, no write themselves
    "customer_record_lock",
    "validate_team_parent",  # accounts: checks shared with the admin forms, no write
    "validate_manager",
    # A bulk ``update()`` (no save signals for the checker to see); its audit entry per
    # customer is asserted in test_services_owner_team.
    "customers_follow_owner_team",
}


def _scenarios(am_a, admin_user):
    # Scene set up front, outside the checked block: factories write without audit.
    c = CustomerFactory(owner=am_a)
    doomed = CustomerFactory(owner=am_a)
    shared = CustomerCollaboratorFactory(customer=CustomerFactory(owner=am_a))
    contact, contact2 = ContactFactory(customer=c), ContactFactory(customer=c)
    pref, pref2 = PreferenceFactory(customer=c), PreferenceFactory(customer=c)
    comm = CommunicationFactory(customer=c)
    product = ProductFactory()
    order = OrderFactory(customer=c)
    token = account_services.token_create(actor=am_a, name="u")[0]
    survivor, merged = CustomerFactory(owner=am_a), CustomerFactory(owner=am_a)
    ContactFactory(customer=merged)
    PreferenceFactory(customer=survivor, key="茶"), PreferenceFactory(customer=merged, key="茶")
    undone_s, undone_m = CustomerFactory(owner=am_a), CustomerFactory(owner=am_a)
    PreferenceFactory(customer=undone_s, key="茶"), PreferenceFactory(customer=undone_m, key="茶")
    to_undo = merge_services.customer_merge(
        actor=am_a, survivor_id=undone_s.pk, merged_id=undone_m.pk, survivor_version=1,
        merged_version=1,
    )  # fmt: skip
    return {
        "customer_create": lambda: services.customer_create(
            actor=am_a, data={"name": "新客户"}, tags=["A"]
        ),
        "customer_update": lambda: services.customer_update(
            actor=am_a, customer_id=c.pk, data={"status": "active"}, tags=["B"], version=1
        ),
        "customer_delete": lambda: services.customer_delete(
            actor=am_a, customer_id=doomed.pk, version=1
        ),
        "contact_create": lambda: services.contact_create(
            actor=am_a, customer_id=c.pk, data={"name": "李四"}
        ),
        "contact_update": lambda: services.contact_update(
            actor=am_a, contact_id=contact.pk, data={"title": "总经理"}, version=1
        ),
        "contact_delete": lambda: services.contact_delete(
            actor=am_a, contact_id=contact2.pk, version=1
        ),
        "preference_create": lambda: services.preference_create(
            actor=am_a, customer_id=c.pk, data={"category": "diet", "key": "茶", "value": "普洱"}
        ),
        "preference_update": lambda: services.preference_update(
            actor=am_a, preference_id=pref.pk, data={"value": "游泳"}, version=1
        ),
        "preference_delete": lambda: services.preference_delete(
            actor=am_a, preference_id=pref2.pk, version=1
        ),
        "communication_create": lambda: services.communication_create(
            actor=am_a, customer_id=c.pk, data={"channel": "visit", "summary": "拜访"}
        ),
        "communication_update": lambda: services.communication_update(
            actor=am_a, communication_id=comm.pk, data={"follow_up_done": True}, version=1
        ),
        "product_create": lambda: order_services.product_create(
            actor=admin_user, data={"code": "X1", "name": "服务", "unit_price": "10"}
        ),
        "product_update": lambda: order_services.product_update(
            actor=admin_user, product_id=product.pk, data={"name": "新名称"}, version=1
        ),
        "order_create": lambda: order_services.order_create(
            actor=am_a,
            customer_id=c.pk,
            order_date=dt.date(2026, 1, 2),
            lines=[{"description": "x", "quantity": 1, "unit_price": "5"}],
        ),
        "order_cancel": lambda: order_services.order_cancel(
            actor=am_a, order_id=order.pk, version=1
        ),
        "tag_create": lambda: services.tag_create(actor=admin_user, name="VIP"),
        "custom_field_create": lambda: services.custom_field_create(
            actor=admin_user, data={"key": "k", "label": "K", "field_type": "text"}
        ),
        "team_create": lambda: account_services.team_create(actor=admin_user, name="新团队"),
        "user_create": lambda: account_services.user_create(
            actor=admin_user,
            username="newbie",
            password="Xq-9817-long-pass",
            role="account_manager",
        ),
        "user_set_role": lambda: account_services.user_set_role(
            actor=admin_user, user_id=am_a.pk, role="manager", team_id=am_a.team_id
        ),
        "token_create": lambda: account_services.token_create(actor=am_a, name="t"),
        "customer_merge": lambda: merge_services.customer_merge(
            actor=am_a,
            survivor_id=survivor.pk,
            merged_id=merged.pk,
            survivor_version=1,
            merged_version=1,
            fields={"name": merged.pk},
        ),
        "customer_merge_undo": lambda: merge_services.customer_merge_undo(
            actor=am_a, merge_id=to_undo.pk
        ),
        "token_revoke": lambda: account_services.token_revoke(actor=am_a, token_id=token.pk),
        "tokens_revoke_all": lambda: (
            account_services.token_create(actor=am_a, name="旧密码时的令牌"),
            account_services.tokens_revoke_all(actor=am_a, user=am_a, reason="password_change"),
        ),
        "team_update": lambda: account_services.team_update(
            actor=admin_user, team_id=am_a.team_id, name="改名部门", parent_id=None
        ),
        "user_set_manager": lambda: account_services.user_set_manager(
            actor=admin_user, user_id=am_a.pk, manager_id=admin_user.pk
        ),
        "role_scope_update": lambda: account_services.role_scope_update(
            actor=admin_user, role="project_member", read_level="own", write_level="own"
        ),
        "customer_collaborator_add": lambda: services.customer_collaborator_add(
            actor=am_a, customer_id=c.pk, user_id=admin_user.pk, access="write"
        ),
        "customer_collaborator_remove": lambda: services.customer_collaborator_remove(
            actor=am_a, customer_id=shared.customer_id, user_id=shared.user_id
        ),
    }


def _public_functions(module):
    return {
        name
        for name, obj in vars(module).items()
        if inspect.isfunction(obj)
        and not name.startswith("_")
        and obj.__module__ == module.__name__
    }


def test_every_write_service_has_a_scenario(am_a, admin_user):
    names = (
        _public_functions(services)
        | _public_functions(account_services)
        | _public_functions(merge_services)
    )
    assert names - NOT_WRITES - set(_scenarios(am_a, admin_user)) == set()


@pytest.mark.parametrize(
    "name",
    sorted(
        (
            _public_functions(services)
            | _public_functions(account_services)
            | _public_functions(merge_services)
        )
        - NOT_WRITES
    ),
)
def test_write_service_leaves_audit(name, am_a, admin_user):
    scenario = _scenarios(am_a, admin_user)[name]
    with assert_writes_audited() as writes:
        scenario()
    assert writes, f"{name} wrote nothing to an audited model"
