"""Who may do what: the one module holding every role rule and every record-scope rule.

**Scope levels** (``ScopeLevel``), as Chinese CRMs define them, reached by each role for
reading and for writing (``RoleScope``, admin-editable; seeded with the rules of before):

======================  ================  =====================================================
level                   中文               records reached
======================  ================  =====================================================
``none``                无                 none
``own``                 本人               owned by the actor
``subordinates``        本人及下属          owned by the actor or by anyone whose manager chain
                                           (``User.manager``) leads to the actor
``department``          本部门              of the actor's department (``team``); the actor's own
                                           when they have none
``department_tree``     本部门及下属部门     of the actor's department and its sub-departments
``all``                 全部               every record
======================  ================  =====================================================

Seeded: admin all/all; manager department/department; account manager own/own; service
agent all/none (and may log communications on every customer it reads); project manager
and member department/none; portal none/none. Superusers reach everything; portal and
inactive users reach nothing on the staff side, whatever their row says.

**Collaborators** (团队成员): a record can be shared with named users, read-only or
read-write; apps register where their shares live (``register_sharing``), and the scope
functions OR the shared records in.

**Speed.** The scope of a list must stay one index range: ``owner_id = …``/``owner_id IN
(…)`` or ``team_id = …``/``team_id IN (…)`` over the ``(owner, …)``/``(team, …)`` indexes.
So the sets a level needs (the actor's subordinates, sub-departments, shared records) are
read once per actor object — per request — and inlined as id lists; the shared ids are
ORed in only when there are any (an OR with a subquery turns PostgreSQL's index scan into a
scan of the book). The role's levels come with the user row itself when the user was loaded
by the auth backend or token auth (``with_role_scope``), so they cost no query there.

Everything reading records (UI, API, search, export, reports) filters through
``record_filter``/``customer_filter``; everything writing asks ``can_change_record``/
``can_change_customer``. Other apps (sales, service, projects) scope their records the
same way with their own owner/department fields and sharing kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from guanxi.accounts.models import Role, RoleScope, ScopeLevel, Team, User

__all__ = [
    "DEFAULT_ROLE_SCOPES",
    "MAX_INLINE_IDS",
    "Sharing",
    "assignable_owners",
    "can_assign_owner",
    "can_assign_owner_to",
    "can_change_communication",
    "can_change_customer",
    "can_change_project",
    "can_change_record",
    "can_create_customer",
    "can_create_project",
    "can_create_tag",
    "can_export",
    "can_log_communication",
    "can_log_communications_on_read",
    "can_manage_settings",
    "can_read_customer",
    "can_read_record",
    "can_scan_duplicates",
    "can_send_surveys",
    "can_use_contracts",
    "can_use_projects",
    "customer_filter",
    "customer_owners",
    "department_ids",
    "forget",
    "holds_customers",
    "is_portal_actor",
    "is_staff_actor",
    "level_covers",
    "project_filter",
    "read_level",
    "record_filter",
    "register_sharing",
    "remember_role_scope",
    "role_scope_annotations",
    "scope_by_customer",
    "scope_customers",
    "shared_with",
    "subordinate_ids",
    "users_visible_to",
    "with_role_scope",
    "write_level",
]

M = TypeVar("M", bound=Model)

# Longer id sets are matched with a subquery instead of an inline list (SQLite binds at
# most 32,766 parameters; very long lists also cost PostgreSQL more to plan than to probe).
MAX_INLINE_IDS = 1000

CUSTOMER_SHARING = "customer"

# Whose customers everyone with a role below may create / assign / export / scan.
_CREATE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER})
_ASSIGN_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
_EXPORT_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
_SCAN_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER})
# Who can be a customer's account manager (客户经理): the roles that keep customers, not the
# administrator who configures the system for everyone.
_OWNER_ROLES = frozenset({Role.MANAGER, Role.ACCOUNT_MANAGER})
# The service desk answers any caller it can see: it logs communications on every customer
# it may read, without the right to change the customer.
_LOG_ON_READ_ROLES = frozenset({Role.SERVICE_AGENT})

# Which levels a level includes (a role's write level must lie within its read level).
# ``department`` includes ``own``: a customer's department follows its owner's.
_COVERS: dict[str, frozenset[str]] = {
    ScopeLevel.NONE: frozenset({ScopeLevel.NONE}),
    ScopeLevel.OWN: frozenset({ScopeLevel.NONE, ScopeLevel.OWN}),
    ScopeLevel.SUBORDINATES: frozenset({ScopeLevel.NONE, ScopeLevel.OWN, ScopeLevel.SUBORDINATES}),
    ScopeLevel.DEPARTMENT: frozenset({ScopeLevel.NONE, ScopeLevel.OWN, ScopeLevel.DEPARTMENT}),
    ScopeLevel.DEPARTMENT_TREE: frozenset(
        {ScopeLevel.NONE, ScopeLevel.OWN, ScopeLevel.DEPARTMENT, ScopeLevel.DEPARTMENT_TREE}
    ),
    ScopeLevel.ALL: frozenset(ScopeLevel.values),
}

# The levels of a role without a ``RoleScope`` row — the same as migration 0003 seeds (a
# flushed test database has no rows; a role added later starts here). Unknown: nothing.
DEFAULT_ROLE_SCOPES: dict[str, tuple[str, str]] = {
    Role.ADMIN: (ScopeLevel.ALL, ScopeLevel.ALL),
    Role.MANAGER: (ScopeLevel.DEPARTMENT, ScopeLevel.DEPARTMENT),
    Role.ACCOUNT_MANAGER: (ScopeLevel.OWN, ScopeLevel.OWN),
    Role.SERVICE_AGENT: (ScopeLevel.ALL, ScopeLevel.NONE),
    Role.PROJECT_MANAGER: (ScopeLevel.DEPARTMENT, ScopeLevel.NONE),
    Role.PROJECT_MEMBER: (ScopeLevel.DEPARTMENT, ScopeLevel.NONE),
    Role.PORTAL: (ScopeLevel.NONE, ScopeLevel.NONE),
}

_NOTHING = Q(pk__in=[])
_STATE_ATTR = "_gx_permissions"
_MISSING = object()
_READ_ANNOTATION = "gx_read_level"
_WRITE_ANNOTATION = "gx_write_level"


# --- who is on the staff side --------------------------------------------------------------


def is_staff_actor(actor: Any) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and (actor.is_superuser or actor.role != Role.PORTAL)
    )


def is_portal_actor(actor: Any) -> bool:
    """A customer's portal account (客户门户用户): no staff page, only the portal."""
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and not actor.is_superuser
        and actor.role == Role.PORTAL
    )


# --- role rules ----------------------------------------------------------------------------


def _has_role(actor: Any, roles: frozenset[str]) -> bool:
    return is_staff_actor(actor) and (actor.is_superuser or actor.role in roles)


def can_assign_owner(actor: Any) -> bool:
    """Whether the actor may name an account manager other than itself at all; *whom* is
    ``can_assign_owner_to`` / ``assignable_owners``."""
    return _has_role(actor, _ASSIGN_ROLES)


def holds_customers(role: str) -> bool:
    """Whether users of ``role`` can be a customer's account manager (客户经理)."""
    return role in _OWNER_ROLES


def can_assign_owner_to(
    actor: Any, *, owner_id: Any, team_id: Any, owner_role: str | None = None
) -> bool:
    """Whether ``actor`` may make the user ``owner_id`` (of department ``team_id``) a
    customer's account manager, on create, update or import: a manager or admin, and the
    customers of that owner lie within the actor's write scope — a manager assigns within
    their own department, not to anyone in the company. ``owner_role``, when known, must
    be one that holds customers."""
    if not can_assign_owner(actor):
        return False
    if owner_role is not None and not holds_customers(owner_role):
        return False
    return can_change_record(actor, owner_id=owner_id, team_id=team_id)


def assignable_owners(actor: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """The users (of ``qs``) ``actor`` may make account managers: ``can_assign_owner_to``
    as a filter, for the owner dropdown."""
    if not can_assign_owner(actor):
        return qs.none()
    qs = qs.filter(is_active=True, role__in=sorted(_OWNER_ROLES))
    if actor.is_superuser:
        return qs
    q = _level_q(actor, write_level(actor), "pk", "team_id")
    return qs if q is None else qs.filter(q)


def customer_owners(actor: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """The account managers (of ``qs``) whose customers ``actor`` may read: the choices of
    the 客户经理 filter. Not the administrator, service agents or project staff, who hold
    no customers."""
    if not is_staff_actor(actor):
        return qs.none()
    qs = qs.filter(is_active=True, role__in=sorted(_OWNER_ROLES))
    if actor.is_superuser:
        return qs
    q = _level_q(actor, read_level(actor), "pk", "team_id")
    return qs if q is None else qs.filter(q)


def can_create_tag(actor: Any) -> bool:
    """Whether tagging a customer with a new name may create the tag on the way: the
    roles that keep customer records. Read-only roles (service agents, project staff)
    never create tags, even on a customer shared with them read-write; the tag settings
    themselves (``tag_create``) are ``can_manage_settings``."""
    return _has_role(actor, _CREATE_ROLES)


# What the service desk may change on a communication somebody else logged: closing the
# follow-up it carries (it does the follow-ups), never what was said.
_FOLLOW_UP_FIELDS = frozenset({"follow_up_done"})


def can_change_communication(
    actor: Any, customer: Any, *, staff_id: Any, fields: Iterable[str] = ()
) -> bool:
    """Whether ``actor`` may change ``fields`` of a communication (logged by
    ``staff_id``) of ``customer``: whoever may change the customer; a role that logs
    communications on what it only reads (the service desk) rewrites only those it logged
    itself, and on others' only marks the follow-up done."""
    if can_change_customer(actor, customer):
        return True
    if not (can_log_communications_on_read(actor) and can_read_customer(actor, customer)):
        return False
    own = staff_id is not None and staff_id == actor.pk
    return own or set(fields) <= _FOLLOW_UP_FIELDS


def can_manage_settings(actor: Any) -> bool:
    """Custom field definitions, products, tags, users, departments and role scopes."""
    return _has_role(actor, frozenset({Role.ADMIN}))


def can_share_canned_replies(actor: Any) -> bool:
    """Writing the service desk's shared canned replies (everyone keeps personal ones):
    admins and managers, who speak for the desk."""
    return _has_role(actor, _ASSIGN_ROLES)


def can_manage_cost_rates(actor: Any) -> bool:
    """Keeping the hourly cost rates (what people cost the company) and re-pricing approved
    time: admins and managers. Not a project manager, even for role rates: a rate prices
    every project the person or role works on, and whoever a CPI measures should not set
    the costs behind it."""
    return _has_role(actor, _ASSIGN_ROLES)


def can_create_customer(actor: Any) -> bool:
    return _has_role(actor, _CREATE_ROLES)


def can_export(actor: Any) -> bool:
    """Exporting lists to files (a bulk copy of customer data leaving the system): admins
    and managers."""
    return _has_role(actor, _EXPORT_ROLES)


# Contracts, payment plans, collections, invoices and receivables (合同与回款): the roles
# that sell; which records each reaches is its scope level (``record_filter``).
_CONTRACT_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER})


def can_use_contracts(actor: Any) -> bool:
    return _has_role(actor, _CONTRACT_ROLES)


# Projects (项目): the roles that run and deliver them, and the account managers whose
# customers they serve. Not the service desk. Creating a project: not a plain member.
_PROJECT_ROLES = frozenset(
    {Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER, Role.PROJECT_MANAGER, Role.PROJECT_MEMBER}
)
_PROJECT_CREATE_ROLES = _PROJECT_ROLES - {Role.PROJECT_MEMBER}


def can_use_projects(actor: Any) -> bool:
    return _has_role(actor, _PROJECT_ROLES)


def can_create_project(actor: Any) -> bool:
    return _has_role(actor, _PROJECT_CREATE_ROLES)


def project_filter(actor: Any, *, member_project_ids: QuerySet[Any]) -> Q | None:
    """The projects ``actor`` reads (``None``: all): those its role's read level reaches
    by project manager and department (a manager: the department's), those it is a member
    of (``member_project_ids``: a values query of project ids), and — for the roles that
    hold customers — the projects of the customers it reads."""
    if not can_use_projects(actor):
        return _NOTHING
    if actor.is_superuser:
        return None
    level = _levels(actor).read or ScopeLevel.NONE
    q = _level_q(actor, level, "manager_id", "team_id")
    if q is None:
        return None
    q = q | Q(pk__in=member_project_ids)
    if holds_customers(actor.role):
        customers = customer_filter(actor, "customer__")
        if customers is None:
            return None
        q = q | customers
    return q


def can_change_project(
    actor: Any, *, manager_id: Any, team_id: Any, customer: Any, is_member: bool
) -> bool:
    """Planning a project it reads (tasks, links, gates, team): its project manager, the
    roles whose write level reaches its manager/department, the account manager who may
    change its customer, and its members (who do the work); a plain project member only
    on projects they are on."""
    if not can_use_projects(actor):
        return False
    if actor.is_superuser or is_member or (manager_id is not None and manager_id == actor.pk):
        return True
    if _level_allows(actor, write_level(actor), manager_id, team_id):
        return True
    return holds_customers(actor.role) and can_change_customer(actor, customer)


def can_send_surveys(actor: Any) -> bool:
    """Sending an NPS campaign to a segment of contacts (mail to many customers at once):
    admins and managers, to the customers they may read."""
    return _has_role(actor, _EXPORT_ROLES)


def can_scan_duplicates(actor: Any) -> bool:
    """Starting a duplicate scan (of the customers the actor may read)."""
    return _has_role(actor, _SCAN_ROLES)


def can_log_communications_on_read(actor: Any) -> bool:
    """Whether the actor logs communications on every customer it may read, beyond those
    it may change (service agents); also lets them import communications."""
    return is_staff_actor(actor) and actor.role in _LOG_ON_READ_ROLES


def users_visible_to(actor: Any, qs: QuerySet[M]) -> QuerySet[M]:
    if not is_staff_actor(actor):
        return qs.none()
    return qs.exclude(role=Role.PORTAL).filter(is_active=True)


def level_covers(read: str, write: str) -> bool:
    """Whether every record reached by ``write`` is also reached by ``read``."""
    return write in _COVERS.get(read, frozenset())


# --- the per-actor state: levels, subordinates, sub-departments, shares ----------------------


@dataclass(frozen=True)
class Sharing:
    """Where records of one kind are shared with named users (团队成员): a model with a
    foreign key to the record (``record_field``), one to the user and an access column
    whose ``write_value`` grants writing (anything else: reading)."""

    model: type[Model]
    record_field: str
    user_field: str = "user_id"
    access_field: str = "access"
    write_value: str = "write"


_SHARINGS: dict[str, Sharing] = {}


def register_sharing(kind: str, sharing: Sharing) -> None:
    """Called by the app owning the shares in its ``AppConfig.ready()``."""
    _SHARINGS[kind] = sharing


@dataclass(frozen=True)
class Shared:
    """The records of one kind shared with an actor. ``complete`` is false when there were
    more than ``MAX_INLINE_IDS``: the filters then fall back to a subquery."""

    read: frozenset[int]
    write: frozenset[int]
    complete: bool = True


@dataclass
class _State:
    key: tuple[Any, ...]
    read: str | None = None
    write: str | None = None
    subordinates: frozenset[int] | None = None
    departments: frozenset[int] | None = None
    shared: dict[str, Shared] = field(default_factory=dict)


def _pop(obj: Any, name: str) -> Any:
    # Attribute access, not ``__dict__``: ``request.user`` is a lazy proxy of the user.
    value = getattr(obj, name, _MISSING)
    if value is not _MISSING:
        delattr(obj, name)
    return value


def _state(actor: Any) -> _State:
    key = (actor.pk, actor.role, actor.team_id)
    state: _State | None = getattr(actor, _STATE_ATTR, None)
    if state is None or state.key != key:
        state = _State(key=key)
        read, write = _pop(actor, _READ_ANNOTATION), _pop(actor, _WRITE_ANNOTATION)
        if read is not _MISSING:
            # Loaded with the user row, for the role it had then: used once, so a role
            # changed on the object afterwards reads its own levels.
            if read is None or write in (None, _MISSING):
                read, write = _default_levels(actor.role)
            state.read, state.write = read, write
        setattr(actor, _STATE_ATTR, state)
    return state


def forget(actor: Any) -> None:
    """Drop what was read for ``actor`` (after changing its levels, manager, department or
    shares within one request or test)."""
    if actor is None:
        return
    for name in (_STATE_ATTR, _READ_ANNOTATION, _WRITE_ANNOTATION):
        _pop(actor, name)


def role_scope_annotations(role_field: str = "role") -> dict[str, Subquery]:
    """Annotations loading a user's role levels with the user (``role_field`` names the
    role from the queried model, e.g. ``"user__role"``)."""
    rows = RoleScope.objects.filter(role=OuterRef(role_field))
    return {
        _READ_ANNOTATION: Subquery(rows.values("read_level")[:1]),
        _WRITE_ANNOTATION: Subquery(rows.values("write_level")[:1]),
    }


def with_role_scope(qs: QuerySet[User]) -> QuerySet[User]:
    """Users with their role's levels loaded in the same query."""
    return qs.annotate(**role_scope_annotations())


def remember_role_scope(user: Any, *, loaded_with: Any) -> None:
    """Adopt the levels ``role_scope_annotations`` loaded on ``loaded_with`` (a row that
    was fetched with ``user``, e.g. the API token) for ``user``."""
    forget(user)
    setattr(user, _READ_ANNOTATION, getattr(loaded_with, _READ_ANNOTATION, None))
    setattr(user, _WRITE_ANNOTATION, getattr(loaded_with, _WRITE_ANNOTATION, None))


def _default_levels(role: str) -> tuple[str, str]:
    return DEFAULT_ROLE_SCOPES.get(role, (ScopeLevel.NONE, ScopeLevel.NONE))


def _levels(actor: Any) -> _State:
    state = _state(actor)
    if state.read is None:
        row = RoleScope.objects.filter(role=actor.role).values_list("read_level", "write_level")
        state.read, state.write = row.first() or _default_levels(actor.role)
    return state


def read_level(actor: Any) -> str:
    if not is_staff_actor(actor):
        return ScopeLevel.NONE
    if actor.is_superuser:
        return ScopeLevel.ALL
    return str(_levels(actor).read)


def write_level(actor: Any) -> str:
    if not is_staff_actor(actor):
        return ScopeLevel.NONE
    if actor.is_superuser:
        return ScopeLevel.ALL
    return str(_levels(actor).write)


_SUBORDINATES_SQL = (
    "WITH RECURSIVE sub(id) AS ("
    " SELECT id FROM {table} WHERE manager_id = %s"
    " UNION SELECT u.id FROM {table} u JOIN sub ON u.manager_id = sub.id"
    ") SELECT id FROM sub"
)
_DEPARTMENTS_SQL = (
    "WITH RECURSIVE tree(id) AS ("
    " SELECT id FROM {table} WHERE id = %s"
    " UNION SELECT t.id FROM {table} t JOIN tree ON t.parent_id = tree.id"
    ") SELECT id FROM tree"
)


def _ids(sql: str, param: int) -> frozenset[int]:
    # UNION (not UNION ALL) ends the recursion even if a cycle slipped into the data.
    with connection.cursor() as cursor:
        cursor.execute(sql, [param])
        return frozenset(row[0] for row in cursor.fetchall())


def subordinate_ids(actor: Any) -> frozenset[int]:
    """Every user whose manager chain leads to ``actor`` (not the actor), once per actor."""
    state = _state(actor)
    if state.subordinates is None:
        sql = _SUBORDINATES_SQL.format(table=connection.ops.quote_name(User._meta.db_table))
        state.subordinates = _ids(sql, actor.pk) - {actor.pk}
    return state.subordinates


def department_ids(actor: Any) -> frozenset[int]:
    """The actor's department and all its sub-departments (empty without a department)."""
    state = _state(actor)
    if state.departments is None:
        if actor.team_id is None:
            state.departments = frozenset()
        else:
            sql = _DEPARTMENTS_SQL.format(table=connection.ops.quote_name(Team._meta.db_table))
            state.departments = _ids(sql, actor.team_id)
    return state.departments


def shared_with(actor: Any, kind: str) -> Shared:
    """The records of ``kind`` shared with ``actor``: one query, once per actor."""
    state = _state(actor)
    if kind not in state.shared:
        sharing = _SHARINGS[kind]
        rows = list(
            sharing.model._default_manager.filter(**{sharing.user_field: actor.pk})
            .order_by()
            .values_list(sharing.record_field, sharing.access_field)[: MAX_INLINE_IDS + 1]
        )
        state.shared[kind] = Shared(
            read=frozenset(pk for pk, _access in rows),
            write=frozenset(pk for pk, access in rows if access == sharing.write_value),
            complete=len(rows) <= MAX_INLINE_IDS,
        )
    return state.shared[kind]


def _shared_subquery(actor: Any, kind: str, *, write: bool = False) -> QuerySet[Any]:
    sharing = _SHARINGS[kind]
    rows = sharing.model._default_manager.filter(**{sharing.user_field: actor.pk})
    if write:
        rows = rows.filter(**{sharing.access_field: sharing.write_value})
    return rows.values(sharing.record_field)


# --- reading -------------------------------------------------------------------------------


def _in(field_name: str, ids: Iterable[int]) -> Q:
    values = sorted(ids)
    if len(values) == 1:
        return Q(**{field_name: values[0]})
    return Q(**{f"{field_name}__in": values})


def _level_q(actor: Any, level: str, owner: str, team: str) -> Q | None:
    if level == ScopeLevel.ALL:
        return None
    if level == ScopeLevel.OWN:
        return Q(**{owner: actor.pk})
    if level == ScopeLevel.SUBORDINATES:
        subordinates = subordinate_ids(actor)
        if len(subordinates) >= MAX_INLINE_IDS:
            sql = _SUBORDINATES_SQL.format(table=connection.ops.quote_name(User._meta.db_table))
            # constant SQL; the table name is the model's, the id a bound parameter
            sub = RawSQL(sql, [actor.pk])  # noqa: S611
            return Q(**{owner: actor.pk}) | Q(**{f"{owner}__in": sub})
        return _in(owner, {actor.pk, *subordinates})
    if level in (ScopeLevel.DEPARTMENT, ScopeLevel.DEPARTMENT_TREE):
        if actor.team_id is None:
            return Q(**{owner: actor.pk})
        # A customer's department always follows its owner's (services keep it so), so the
        # department covers the actor's own records; an OR here would defeat the
        # (team, …) indexes.
        if level == ScopeLevel.DEPARTMENT:
            return Q(**{team: actor.team_id})
        departments = department_ids(actor)
        if len(departments) > MAX_INLINE_IDS:
            sql = _DEPARTMENTS_SQL.format(table=connection.ops.quote_name(Team._meta.db_table))
            tree = RawSQL(sql, [actor.team_id])  # noqa: S611 - constant SQL, bound id
            return Q(**{f"{team}__in": tree})
        return _in(team, departments)
    return _NOTHING


def record_filter(
    actor: Any,
    *,
    owner_field: str = "owner_id",
    team_field: str = "team_id",
    collaborators: str | None = None,
    prefix: str = "",
    one: bool = False,
) -> Q | None:
    """A Q selecting the records ``actor`` may read; ``None`` means no restriction.

    ``owner_field``/``team_field`` name the record's owner and department columns,
    ``collaborators`` the registered sharing kind of the record (or none), ``prefix`` the
    path from the filtered model to the record (``"customer__"`` for contacts). ``one``:
    the caller fetches one record by its key, so the shares are tested with a subquery
    (one index probe) rather than loaded. An actor with no access gets a Q that matches
    nothing."""
    if not is_staff_actor(actor):
        return _NOTHING
    if actor.is_superuser:
        return None
    level = _levels(actor).read or ScopeLevel.NONE
    q = _level_q(actor, level, f"{prefix}{owner_field}", f"{prefix}{team_field}")
    if q is None or collaborators is None:
        return q
    pk = f"{prefix}pk"
    state = _state(actor)
    if one and collaborators not in state.shared:
        return q | Q(**{f"{pk}__in": _shared_subquery(actor, collaborators)})
    shared = shared_with(actor, collaborators)
    if not shared.complete:
        return q | Q(**{f"{pk}__in": _shared_subquery(actor, collaborators)})
    if shared.read:
        return q | _in(pk, shared.read)
    return q


def _level_allows(actor: Any, level: str, owner_id: Any, team_id: Any) -> bool:
    if level == ScopeLevel.ALL:
        return True
    if level == ScopeLevel.NONE:
        return False
    if owner_id is not None and owner_id == actor.pk:
        return True
    if level == ScopeLevel.SUBORDINATES:
        return owner_id is not None and owner_id in subordinate_ids(actor)
    if level == ScopeLevel.DEPARTMENT:
        return actor.team_id is not None and team_id == actor.team_id
    if level == ScopeLevel.DEPARTMENT_TREE:
        return team_id is not None and team_id in department_ids(actor)
    return False


def _is_shared(actor: Any, kind: str | None, record_id: Any, *, write: bool) -> bool:
    if kind is None or record_id is None:
        return False
    # All the actor's shares at once (one query a request), not one probe per record: a
    # page asks about many records (the duplicate queue, every row's edit button).
    shared = shared_with(actor, kind)
    if shared.complete:
        return record_id in (shared.write if write else shared.read)
    return (
        _shared_subquery(actor, kind, write=write)
        .filter(**{_SHARINGS[kind].record_field: record_id})
        .exists()
    )


def can_read_record(
    actor: Any,
    *,
    owner_id: Any,
    team_id: Any,
    record_id: Any = None,
    collaborators: str | None = None,
) -> bool:
    """The in-memory form of ``record_filter`` for one record."""
    if not is_staff_actor(actor):
        return False
    if actor.is_superuser:
        return True
    if _level_allows(actor, read_level(actor), owner_id, team_id):
        return True
    return _is_shared(actor, collaborators, record_id, write=False)


def can_change_record(
    actor: Any,
    *,
    owner_id: Any,
    team_id: Any,
    record_id: Any = None,
    collaborators: str | None = None,
) -> bool:
    """Whether ``actor`` may change a record it can see: its role's write level reaches
    it, or it was shared with the actor read-write."""
    if not is_staff_actor(actor):
        return False
    if actor.is_superuser:
        return True
    if _level_allows(actor, write_level(actor), owner_id, team_id):
        return True
    return _is_shared(actor, collaborators, record_id, write=True)


# --- customers -----------------------------------------------------------------------------


def customer_filter(actor: Any, prefix: str = "", *, one: bool = False) -> Q | None:
    """A Q selecting the customers ``actor`` may read (``prefix`` for related lookups,
    e.g. ``"customer__"``); ``None`` means no restriction. See ``record_filter``."""
    return record_filter(
        actor,
        owner_field="owner_id",
        team_field="team_id",
        collaborators=CUSTOMER_SHARING if CUSTOMER_SHARING in _SHARINGS else None,
        prefix=prefix,
        one=one,
    )


def scope_customers(actor: Any, qs: QuerySet[M], *, one: bool = False) -> QuerySet[M]:
    q = customer_filter(actor, one=one)
    return qs if q is None else qs.filter(q)


def scope_by_customer(actor: Any, qs: QuerySet[M], prefix: str = "customer__") -> QuerySet[M]:
    """Scope a queryset of customer-owned rows (contacts, orders, …)."""
    q = customer_filter(actor, prefix)
    return qs if q is None else qs.filter(q)


def _customer_kwargs(customer: Any) -> dict[str, Any]:
    return {
        "owner_id": customer.owner_id,
        "team_id": customer.team_id,
        "record_id": customer.pk,
        "collaborators": CUSTOMER_SHARING if CUSTOMER_SHARING in _SHARINGS else None,
    }


def can_read_customer(actor: Any, customer: Any) -> bool:
    return can_read_record(actor, **_customer_kwargs(customer))


def can_change_customer(actor: Any, customer: Any) -> bool:
    return can_change_record(actor, **_customer_kwargs(customer))


def can_log_communication(actor: Any, customer: Any) -> bool:
    return can_change_customer(actor, customer) or (
        can_log_communications_on_read(actor) and can_read_customer(actor, customer)
    )


# --- two-factor sign-in ----------------------------------------------------------------


def two_factor_required(actor: Any) -> bool:
    """Whether the actor must sign in with a second factor even without having enrolled:
    administrators, when ``GUANXI_2FA_REQUIRED_FOR_ADMINS`` is on."""
    from django.conf import settings

    if not getattr(settings, "GUANXI_2FA_REQUIRED_FOR_ADMINS", False):
        return False
    return bool(
        getattr(actor, "is_authenticated", False)
        and (actor.is_superuser or getattr(actor, "role", None) == Role.ADMIN)
    )
