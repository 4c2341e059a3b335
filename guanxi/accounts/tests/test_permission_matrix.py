"""The permission matrix: every scope level (本人, 本人及下属, 本部门, 本部门及下属部门, 全部)
and both kinds of collaborator (read-only, read-write), against every customer page and
every customer API operation, for a customer in scope and one out of scope.

Conventions (those of the house): a customer out of scope answers 404 exactly like a
missing one and nothing is written; one in scope but not changeable answers 403 to writes,
nothing written. Lists, search and export hold exactly the customers in scope.

The API operations are read from the OpenAPI document: every operation on a customer or a
customer's record (a path with one of ``RECORD_PARAMS``) must be in ``OPERATIONS`` below,
so a new operation fails here until its row says how it is scoped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import Role, RoleScope, ScopeLevel, User
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.analytics.models import CustomerValue
from guanxi.customers.models import Communication
from guanxi.customers.tests.factories import (
    CommunicationFactory,
    CustomerCollaboratorFactory,
    CustomerFactory,
)
from guanxi.customers.tests.test_api_support import Api, build_scene, db_snapshot, error_fields
from guanxi.service.models import Mailbox
from guanxi.service.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

RECORD_PARAMS = ("customer_id", "contact_id", "preference_id", "communication_id", "order_id")

# (method, path) → (body, status when allowed, write?). Placeholders: ``{customer_id}`` the
# scene's customer (``{bare}`` for a deletable one), ``{user_id}`` its collaborator,
# ``{newcomer}`` a user it is not shared with yet.
OPERATIONS: dict[tuple[str, str], tuple[Any, int, bool]] = {
    ("get", "/customers/{customer_id}"): (None, 200, False),
    ("get", "/contracts/customers/{customer_id}/invoice-titles"): (None, 200, False),
    ("post", "/contracts/customers/{customer_id}/invoice-titles"): (
        {"kind": "personal", "name": "张三"}, 201, True),
    ("patch", "/customers/{customer_id}"): ({"version": 1, "notes": "改"}, 200, True),
    ("delete", "/customers/{customer_id}"): ({"version": 1}, 204, True),
    ("get", "/customers/{customer_id}/timeline"): (None, 200, False),
    ("get", "/customers/{customer_id}/history"): (None, 200, False),
    ("get", "/customers/{customer_id}/summary"): (None, 200, False),
    ("get", "/customers/{customer_id}/collaborators"): (None, 200, False),
    ("post", "/customers/{customer_id}/collaborators"): ({"user_id": "{newcomer}"}, 201, True),
    ("delete", "/customers/{customer_id}/collaborators/{user_id}"): (None, 204, True),
    ("get", "/customers/{customer_id}/contacts"): (None, 200, False),
    ("post", "/customers/{customer_id}/contacts"): ({"name": "王五"}, 201, True),
    ("get", "/contacts/{contact_id}"): (None, 200, False),
    ("patch", "/contacts/{contact_id}"): ({"version": 1, "title": "总监"}, 200, True),
    ("delete", "/contacts/{contact_id}"): ({"version": 1}, 204, True),
    ("get", "/customers/{customer_id}/preferences"): (None, 200, False),
    ("post", "/customers/{customer_id}/preferences"): (
        {"category": "diet", "key": "茶", "value": "龙井"}, 201, True
    ),
    ("get", "/preferences/{preference_id}"): (None, 200, False),
    ("patch", "/preferences/{preference_id}"): ({"version": 1, "value": "游泳"}, 200, True),
    ("delete", "/preferences/{preference_id}"): ({"version": 1}, 204, True),
    ("get", "/customers/{customer_id}/communications"): (None, 200, False),
    ("post", "/customers/{customer_id}/communications"): (
        {"channel": "phone", "summary": "回访"}, 201, True
    ),
    ("get", "/communications/{communication_id}"): (None, 200, False),
    ("patch", "/communications/{communication_id}"): (
        {"version": 1, "follow_up_done": True}, 200, True
    ),
    ("get", "/customers/{customer_id}/orders"): (None, 200, False),
    ("post", "/customers/{customer_id}/orders"): (
        {"order_date": "2025-03-01",
         "lines": [{"description": "咨询", "quantity": "2", "unit_price": "50.00"}]},
        201, True,
    ),
    ("get", "/orders/{order_id}"): (None, 200, False),
    ("post", "/orders/{order_id}/cancel"): ({"version": 1}, 200, True),
    ("get", "/analytics/customers/{customer_id}"): (None, 200, False),
}  # fmt: skip

# Operations on a customer that go by the public pool's own rules, not by the customer's
# scope: a pooled customer has no owner and is claimed or assigned by the pool's members and
# admins (``sales/tests/test_pool_views_api.py::test_permission_matrix``, each role against
# the pool's pages and these operations); locking is a manager's call on a customer in
# their write scope (``sales/tests/test_pool_services.py``).
POOL_OPERATIONS = {
    ("post", "/sales/pools/{pool_id}/customers/{customer_id}/claim"),
    ("post", "/sales/pools/{pool_id}/customers/{customer_id}/assign"),
    ("post", "/sales/pools/customers/{customer_id}/lock"),
}

# Who the actor (a manager heading 华东) is, and where the others sit:
#   销售部 > 华东 > 上海; 华南 apart. sub (华南) reports to the actor, subsub (华南) to sub.
USERS = {
    "boss": ("east", None),
    "sub": ("south", "boss"),
    "subsub": ("south", "sub"),
    "peer": ("east", None),
    "local": ("shanghai", None),
    "other": ("south", None),
    "top": ("sales", None),
}
READS = {
    ScopeLevel.OWN: {"boss"},
    ScopeLevel.SUBORDINATES: {"boss", "sub", "subsub"},
    ScopeLevel.DEPARTMENT: {"boss", "peer"},
    ScopeLevel.DEPARTMENT_TREE: {"boss", "peer", "local"},
    ScopeLevel.ALL: set(USERS),
}
# case → (the actor's level, owner of the customer in scope, owner of one out of scope,
#         how the in-scope customer is reached: "level", "read" or "write" share)
CASES = {
    "own": (ScopeLevel.OWN, "boss", "peer", "level"),  # 本人
    "subordinates": (ScopeLevel.SUBORDINATES, "subsub", "peer", "level"),  # 本人及下属
    "department": (ScopeLevel.DEPARTMENT, "peer", "local", "level"),  # 本部门
    "department_tree": (ScopeLevel.DEPARTMENT_TREE, "local", "sub", "level"),  # 本部门及下属部门
    "all": (ScopeLevel.ALL, "top", None, "level"),  # 全部
    "collaborator_read": (ScopeLevel.OWN, "other", "top", "read"),  # 团队成员（只读）
    "collaborator_write": (ScopeLevel.OWN, "other", "top", "write"),  # 团队成员（可编辑）
}
each_case = pytest.mark.parametrize("case", CASES)


@pytest.fixture
def org(db) -> dict[str, User]:
    sales = TeamFactory(name="销售部")
    east = TeamFactory(name="华东", parent=sales)
    teams = {
        "sales": sales,
        "east": east,
        "shanghai": TeamFactory(name="上海", parent=east),
        "south": TeamFactory(name="华南"),
    }
    users: dict[str, User] = {}
    for name, (team, manager) in USERS.items():
        users[name] = UserFactory(
            username=name,
            role=Role.MANAGER if name == "boss" else Role.ACCOUNT_MANAGER,
            team=teams[team],
            manager=users[manager] if manager else None,
        )
    return users


def _configure(org: dict[str, User], case: str) -> tuple[User, str, str | None, str]:
    level, inside, outside, reach = CASES[case]
    RoleScope.objects.update_or_create(
        role=Role.MANAGER, defaults={"read_level": level, "write_level": level}
    )
    return org["boss"], inside, outside, reach


def _value(customer_id: int) -> None:
    CustomerValue.objects.create(
        customer_id=customer_id, orders=1, purchases=1, revenue=Decimal("100"),
        first_purchase=dt.date(2025, 1, 1), last_purchase=dt.date(2025, 1, 1),
        average_amount=Decimal("100"), customer_value=Decimal("100"), value_class="insufficient",
        rfm_r=1, rfm_f=1, rfm_m=1, rfm_fm=1, rfm_segment="new", revenue_rank=1,
        cost_to_serve=Decimal("0"), profit=Decimal("100"), cohort_month=2025 * 12,
        computed_at=timezone.now(),
    )  # fmt: skip


def _scene(org: dict[str, User], owner: str, boss: User, reach: str) -> dict[str, int]:
    """A customer of ``owner`` with one of each record, a collaborator, a value row; shared
    with the actor when the case reaches it by sharing."""
    scene = build_scene(org[owner])
    colleague = UserFactory()
    for key in ("customer", "bare"):
        CustomerCollaboratorFactory(customer_id=scene[key], user=colleague)
        if reach != "level":
            CustomerCollaboratorFactory(customer_id=scene[key], user=boss, access=reach)
    _value(scene["customer"])
    scene["user_id"] = colleague.pk
    scene["newcomer"] = UserFactory().pk
    return scene


def _fill(template: str, scene: dict[str, int], *, delete: bool) -> str:
    ids = {
        "customer_id": scene["bare"] if delete else scene["customer"],
        "contact_id": scene["contact"],
        "preference_id": scene["preference"],
        "communication_id": scene["communication"],
        "order_id": scene["order"],
        "user_id": scene["user_id"],
    }
    return template.format(**ids)


def _body(body: Any, scene: dict[str, int]) -> Any:
    if body == {"user_id": "{newcomer}"}:
        return {"user_id": scene["newcomer"]}
    return body


class _Undo(Exception):
    def __init__(self, response: Any) -> None:
        self.response = response


def _call_undone(call: Any) -> Any:
    """Make a request and roll back what it wrote, so every operation meets the same scene."""
    try:
        with transaction.atomic():
            raise _Undo(call())
    except _Undo as undo:
        return undo.response


# --- the API -----------------------------------------------------------------------------


def test_every_customer_operation_of_the_api_is_in_the_matrix(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    found = {
        (method, path.removeprefix("/api/v1"))
        for path, operations in paths.items()
        if any("{" + param + "}" in path for param in RECORD_PARAMS)
        for method in operations
    }

    assert found == set(OPERATIONS) | set(POOL_OPERATIONS)


def _api_results(api: Api, scene: dict[str, int]) -> dict[tuple[str, str], int]:
    results = {}
    for (method, template), (body, _ok, _write) in OPERATIONS.items():
        is_delete_of_customer = method == "delete" and template == "/customers/{customer_id}"
        path = _fill(template, scene, delete=is_delete_of_customer)
        response = _call_undone(lambda: api.call(method, path, _body(body, scene)))  # noqa: B023
        results[(method, template)] = response.status_code
    return results


@each_case
def test_api_on_a_customer_in_scope(org, case):
    boss, inside, _outside, reach = _configure(org, case)
    scene = _scene(org, inside, boss, reach)

    results = _api_results(Api(boss), scene)

    expected = {
        op: (403 if write and reach == "read" else ok)
        for op, (_body_, ok, write) in OPERATIONS.items()
    }
    assert results == expected


@each_case
def test_api_on_a_customer_out_of_scope_is_404_and_writes_nothing(org, case):
    boss, _inside, outside, _reach = _configure(org, case)
    if outside is None:
        pytest.skip("all (全部) leaves nothing out of scope")
    scene = _scene(org, outside, boss, "level")
    before = db_snapshot()

    results = _api_results(Api(boss), scene)

    assert results == dict.fromkeys(OPERATIONS, 404)
    assert db_snapshot() == before


def _everyone_scene(org: dict[str, User], boss: User, case: str) -> dict[str, int]:
    """One customer per user (all named 矩阵客户…), shared as the case says."""
    _level, inside, _outside, reach = CASES[case]
    customers = {
        name: CustomerFactory(owner=user, name=f"矩阵客户{name}有限公司")
        for name, user in org.items()
    }
    if reach != "level":
        CustomerCollaboratorFactory(customer=customers[inside], user=boss, access=reach)
    return {name: c.pk for name, c in customers.items()}


def _expected_names(case: str) -> set[str]:
    level, inside, _outside, reach = CASES[case]
    return READS[level] | ({inside} if reach != "level" else set())


@each_case
def test_api_list_and_search_hold_exactly_the_customers_in_scope(org, case):
    boss, *_ = _configure(org, case)
    ids = _everyone_scene(org, boss, case)
    expected = {ids[name] for name in _expected_names(case)}
    api = Api(boss)

    listed = api.get("/customers", limit=200).json()
    searched = api.get("/customers", q="矩阵客户", limit=200).json()

    assert {c["id"] for c in listed["items"]} == expected
    assert listed["count"] == len(expected)
    assert {c["id"] for c in searched["items"]} == expected


# --- the web UI ----------------------------------------------------------------------------

HX = {"HTTP_HX_REQUEST": "true"}
# name → (method, url name, POST data, status when allowed, write?)
PAGES: dict[str, tuple[str, str, dict[str, Any] | None, int, bool]] = {
    "detail": ("get", "customers:detail", None, 200, False),
    "timeline": ("get", "customers:timeline", None, 200, False),
    "history": ("get", "customers:section", None, 200, False),
    "edit-form": ("get", "customers:edit", None, 200, True),
    "edit": ("post", "customers:edit",
             {"name": "改名", "kind": "enterprise", "status": "lost", "version": "1"}, 302, True),
    "contact_add": ("post", "customers:contact_add", {"contact-name": "张伟"}, 200, True),
    "preference_add": ("post", "customers:preference_add",
                       {"pref-category": "diet", "pref-key": "茶", "pref-value": "龙井"}, 200,
                       True),
    "communication_add": ("post", "customers:communication_add",
                          {"comm-channel": "phone", "comm-direction": "out",
                           "comm-occurred_at": "2026-03-01T10:00", "comm-summary": "来电"},
                          200, True),
    "collaborator_form": ("get", "customers:collaborator_add", None, 200, True),
    "collaborator_add": ("post", "customers:collaborator_add",
                         {"collab-user": "{newcomer}", "collab-access": "read"}, 200, True),
}  # fmt: skip


def _page_results(client: Any, scene: dict[str, int]) -> dict[str, int]:
    results = {}
    for name, (method, url_name, data, _ok, _write) in PAGES.items():
        args: list[Any] = [scene["customer"]]
        if name == "history":
            args.append("history")
        url = reverse(url_name, args=args)
        if data and "collab-user" in data:
            data = {**data, "collab-user": scene["newcomer"]}
        send = getattr(client, method)
        response = _call_undone(lambda: send(url, data or {}, **HX))  # noqa: B023
        results[name] = response.status_code
    return results


@each_case
def test_pages_of_a_customer_in_scope(client, org, case):
    boss, inside, _outside, reach = _configure(org, case)
    scene = _scene(org, inside, boss, reach)
    client.force_login(boss)

    results = _page_results(client, scene)

    expected = {
        name: (403 if write and reach == "read" else ok)
        for name, (_m, _u, _d, ok, write) in PAGES.items()
    }
    assert results == expected


@each_case
def test_pages_of_a_customer_out_of_scope_are_404_and_write_nothing(client, org, case):
    boss, _inside, outside, _reach = _configure(org, case)
    if outside is None:
        pytest.skip("all (全部) leaves nothing out of scope")
    scene = _scene(org, outside, boss, "level")
    client.force_login(boss)
    before = db_snapshot()

    results = _page_results(client, scene)

    assert results == dict.fromkeys(PAGES, 404)
    assert db_snapshot() == before


@each_case
def test_list_search_and_export_hold_exactly_the_customers_in_scope(client, org, case):
    boss, *_ = _configure(org, case)
    _everyone_scene(org, boss, case)
    expected = {f"矩阵客户{name}有限公司" for name in _expected_names(case)}
    every = {f"矩阵客户{name}有限公司" for name in USERS}
    client.force_login(boss)

    listed = client.get(reverse("customers:list")).content.decode()
    searched = client.get(reverse("customers:list"), {"q": "矩阵客户"}).content.decode()
    exported = client.get(reverse("imports:export"), {"kind": "customers", "format": "csv"})

    assert {n for n in every if n in listed} == expected
    assert {n for n in every if n in searched} == expected
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert {cell for row in rows[1:] for cell in row if cell in every} == expected


# --- roles × every write ---------------------------------------------------------------------
# The seeded roles against every write of the customer core, on a customer of ``am_a``
# (department A) whose communication ``am_a`` logged. How each role reaches that customer:
#   write  — its write scope covers it (admin, A's manager, the owner)
#   hidden — out of its read scope (B's manager, another account manager): 404
#   read   — reads, never writes (service desk: everything; project staff: department)
#   portal — no staff API at all
ROLES: dict[str, tuple[str, str | None, str]] = {
    "admin": (Role.ADMIN, None, "write"),
    "manager_a": (Role.MANAGER, "A", "write"),
    "owner": (Role.ACCOUNT_MANAGER, "A", "write"),
    "manager_b": (Role.MANAGER, "B", "hidden"),
    "am_a2": (Role.ACCOUNT_MANAGER, "A", "hidden"),
    "agent": (Role.SERVICE_AGENT, None, "read"),
    "pm_a": (Role.PROJECT_MANAGER, "A", "read"),
    "member_a": (Role.PROJECT_MEMBER, "A", "read"),
    "portal": (Role.PORTAL, None, "portal"),
}
each_role = pytest.mark.parametrize("role", ROLES)


@pytest.fixture
def role_org(db) -> dict[str, User]:
    teams = {"A": TeamFactory(name="华东销售部"), "B": TeamFactory(name="华南销售部")}
    users = {
        name: UserFactory(username=f"r_{name}", role=role, team=teams[team] if team else None)
        for name, (role, team, _reach) in ROLES.items()
    }
    users["am_b"] = UserFactory(username="r_am_b", role=Role.ACCOUNT_MANAGER, team=teams["B"])
    users["pm_b"] = UserFactory(username="r_pm_b", role=Role.PROJECT_MANAGER, team=teams["B"])
    return users


def _role_scene(users: dict[str, User]) -> dict[str, int]:
    scene = build_scene(users["owner"])
    Communication.objects.filter(pk=scene["communication"]).update(staff=users["owner"])
    scene["agent_communication"] = CommunicationFactory(
        customer_id=scene["customer"], staff=users["agent"]
    ).pk
    colleague = UserFactory(role=Role.ACCOUNT_MANAGER, team=users["owner"].team)
    CustomerCollaboratorFactory(customer_id=scene["customer"], user=colleague)
    CustomerCollaboratorFactory(customer_id=scene["bare"], user=colleague)
    scene["user_id"] = colleague.pk
    scene["newcomer"] = UserFactory().pk
    # The service desk's triage of an unknown sender's mail, and a polled mailbox.
    scene["unknown_ticket"] = TicketFactory(
        customer=None, requester_email="stranger@nowhere.cn", channel="email"
    ).pk
    scene["mailbox"] = Mailbox.objects.create(
        name="矩阵邮箱", host="imap.example.com", username="desk", password_env="GX_MATRIX"
    ).pk
    return scene


def _record_write_status(role: str, method: str, template: str, ok: int) -> int:
    reach = ROLES[role][2]
    if reach == "write":
        return ok
    if reach == "hidden":
        return 404
    if reach == "portal":
        return 403
    # Read-only roles: the service desk logs communications on what it reads and marks
    # their follow-ups done (the body of this operation), nothing else.
    logs = role == "agent" and (method, template) in {
        ("post", "/customers/{customer_id}/communications"),
        ("patch", "/communications/{communication_id}"),
    }
    return ok if logs else 403


# Writes beyond a customer's own records. name → (method, path, body, {role: status});
# a role missing from the dict answers 403. ``{am_a2}``, ``{am_b}``: owners to assign.
ROLE_WRITES: dict[str, tuple[str, str, dict[str, Any], dict[str, int]]] = {
    "tag_create": ("post", "/tags", {"name": "角色矩阵标签"}, {"admin": 201}),
    "custom_field_create": ("post", "/custom-fields",
                            {"key": "matrix", "label": "矩阵", "field_type": "text"},
                            {"admin": 201}),
    "customer_create_own": ("post", "/customers", {"name": "自建客户有限公司"},
                            {"admin": 201, "manager_a": 201, "manager_b": 201, "owner": 201,
                             "am_a2": 201}),
    "customer_create_for_team_member": ("post", "/customers",
                                        {"name": "指派客户有限公司", "owner_id": "{am_a2}"},
                                        {"admin": 201, "manager_a": 201, "am_a2": 201}),
    "customer_create_for_other_team": ("post", "/customers",
                                       {"name": "跨部门客户有限公司", "owner_id": "{am_b}"},
                                       {"admin": 201, "manager_b": 201}),
    "customer_create_for_a_project_manager": ("post", "/customers",
                                              {"name": "项目客户有限公司", "owner_id": "{pm_b}"},
                                              {}),
    "customer_reassign_in_team": ("patch", "/customers/{customer_id}",
                                  {"version": 1, "owner_id": "{am_a2}"},
                                  {"admin": 200, "manager_a": 200, "manager_b": 404,
                                   "am_a2": 404}),
    "customer_reassign_to_other_team": ("patch", "/customers/{customer_id}",
                                        {"version": 1, "owner_id": "{am_b}"},
                                        {"admin": 200, "manager_b": 404, "am_a2": 404}),
    "customer_new_tag": ("patch", "/customers/{customer_id}",
                         {"version": 1, "tags": ["全新的标签"]},
                         {"admin": 200, "manager_a": 200, "owner": 200, "manager_b": 404,
                          "am_a2": 404}),
    "communication_of_the_owner": ("patch", "/communications/{communication_id}",
                                   {"version": 1, "summary": "改写别人的记录"},
                                   {"admin": 200, "manager_a": 200, "owner": 200,
                                    "manager_b": 404, "am_a2": 404}),
    "communication_of_the_agent": ("patch", "/communications/{agent_communication}",
                                   {"version": 1, "summary": "改写客服的记录"},
                                   {"admin": 200, "manager_a": 200, "owner": 200,
                                    "agent": 200, "manager_b": 404, "am_a2": 404}),
    # Triage sees the unknown queue (no customer yet): who reads every customer works it;
    # to the others such a ticket does not exist. Project staff and the portal do not serve.
    "ticket_link_customer": ("post", "/service/tickets/{unknown_ticket}/link-customer",
                             {"version": 1, "customer_id": "{customer}"},
                             {"admin": 200, "agent": 200, "manager_a": 404, "owner": 404,
                              "manager_b": 404, "am_a2": 404}),
    "ticket_mark_spam": ("post", "/service/tickets/{unknown_ticket}/spam", {"version": 1},
                         {"admin": 200, "agent": 200, "manager_a": 404, "owner": 404,
                          "manager_b": 404, "am_a2": 404}),
    "mailbox_create": ("post", "/service/mailboxes",
                       {"name": "新邮箱", "host": "imap.example.com", "username": "desk",
                        "password_env": "GX_NEW_MAILBOX"}, {"admin": 201}),
    "mailbox_update": ("patch", "/service/mailboxes/{mailbox}",
                       {"version": 1, "active": False}, {"admin": 200}),
}  # fmt: skip


def _role_fill(text: str, scene: dict[str, int], users: dict[str, User]) -> Any:
    ids = {**scene, **{name: user.pk for name, user in users.items()}}
    if text.startswith("{") and text.endswith("}") and text[1:-1] in ids:
        return ids[text[1:-1]]
    ids |= {"customer_id": scene["customer"], "communication_id": scene["communication"]}
    return text.format(**ids) if "{" in text else text


def _role_body(body: Any, scene: dict[str, int], users: dict[str, User]) -> Any:
    if isinstance(body, dict):
        return {k: _role_body(v, scene, users) for k, v in body.items()}
    if isinstance(body, list):
        return [_role_body(v, scene, users) for v in body]
    return _role_fill(body, scene, users) if isinstance(body, str) else body


def test_every_write_of_the_customer_core_is_in_the_role_matrix(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    core = ("/customers", "/contacts", "/preferences", "/communications", "/tags",
            "/custom-fields", "/orders")  # fmt: skip
    writes = {
        (method, path.removeprefix("/api/v1"))
        for path, operations in paths.items()
        if path.removeprefix("/api/v1").startswith(core)
        for method in operations
        if method in ("post", "patch", "put", "delete")
    }
    covered = {(m, t) for (m, t), (_b, _ok, write) in OPERATIONS.items() if write}
    covered |= {(m, p) for m, p, _b, _e in ROLE_WRITES.values()}
    covered |= {("patch", "/communications/{communication_id}")}

    assert writes - covered == set()


@each_role
def test_every_customer_write_by_role(role_org, role):
    scene = _role_scene(role_org)
    api = Api(role_org[role])
    results, expected = {}, {}
    for (method, template), (body, ok, write) in OPERATIONS.items():
        if not write:
            continue
        is_delete_of_customer = method == "delete" and template == "/customers/{customer_id}"
        path = _fill(template, scene, delete=is_delete_of_customer)
        response = _call_undone(lambda: api.call(method, path, _body(body, scene)))  # noqa: B023
        results[(method, template)] = response.status_code
        expected[(method, template)] = _record_write_status(role, method, template, ok)

    assert results == expected


@each_role
def test_writes_beyond_the_record_by_role(role_org, role):
    scene = _role_scene(role_org)
    api = Api(role_org[role])
    before = db_snapshot()
    results, expected = {}, {}
    for name, (method, template, body, allowed) in ROLE_WRITES.items():
        path = _role_fill(template, scene, role_org)
        payload = _role_body(body, scene, role_org)
        response = _call_undone(lambda: api.call(method, path, payload))  # noqa: B023
        results[name] = response.status_code
        expected[name] = allowed.get(role, 403)

    assert results == expected
    assert db_snapshot() == before


def test_a_read_write_share_does_not_let_project_staff_create_tags(role_org):
    scene = _role_scene(role_org)
    CustomerCollaboratorFactory(customer_id=scene["customer"], user=role_org["pm_a"],
                                access="write")  # fmt: skip
    before = db_snapshot()

    response = Api(role_org["pm_a"]).patch(
        f"/customers/{scene['customer']}", {"version": 1, "tags": ["项目标签"]}
    )

    assert response.status_code == 422
    assert error_fields(response) == ["tags"]
    assert db_snapshot() == before
