"""The demo's staff: the sales departments (a tree under 销售部), one user of every role and
who reports to whom (``accounts``)."""

from __future__ import annotations

from typing import Final

from django.contrib.auth.hashers import make_password

from guanxi.accounts.models import Role, Team, User
from guanxi.core import audit
from guanxi.demo.context import Context
from guanxi.demo.words import EAST, KEY, SALES, SOUTH

ADMIN_USERNAME: Final = "admin"
ADMIN_PASSWORD: Final = "demo-admin-2026"  # noqa: S105 - documented in README and printed by `load_demo`
USER_PASSWORD: Final = "demo-user-2026"  # noqa: S105 - every other demo user
MARKER_TEAM: Final = EAST  # its presence means the demo is loaded

# (username, display name, role, team)
STAFF: list[tuple[str, str, str, str | None]] = [
    (ADMIN_USERNAME, "系统管理员", Role.ADMIN, None),
    ("zhangwei", "张伟", Role.MANAGER, EAST),
    ("lina", "李娜", Role.ACCOUNT_MANAGER, EAST),
    ("wangfang", "王芳", Role.ACCOUNT_MANAGER, EAST),
    ("chenjie", "陈杰", Role.MANAGER, SOUTH),
    ("huangmin", "黄敏", Role.ACCOUNT_MANAGER, SOUTH),
    ("liuyang", "刘洋", Role.MANAGER, KEY),
    ("zhaolei", "赵磊", Role.ACCOUNT_MANAGER, KEY),
    ("sunli", "孙丽", Role.SERVICE_AGENT, None),
    ("zhoutao", "周涛", Role.PROJECT_MANAGER, EAST),
    ("wujing", "吴静", Role.PROJECT_MANAGER, KEY),
    ("huawei_it", "华为信息中心（门户）", Role.PORTAL, None),
]
# username → their direct manager (直属上级): 本人及下属 reaches these chains.
MANAGERS: dict[str, str] = {
    "lina": "zhangwei",
    "wangfang": "zhangwei",
    "zhoutao": "zhangwei",
    "huangmin": "chenjie",
    "zhaolei": "liuyang",
    "wujing": "liuyang",
}


def seed_staff(ctx: Context) -> None:
    """The sales departments — 销售部 and under it 华东, 华南 and 大客户 — and the demo users,
    one of every role, with their managers."""
    root = Team.objects.create(name=SALES)
    teams = {name: Team(name=name, parent=root) for name in (EAST, SOUTH, KEY)}
    Team.objects.bulk_create(teams.values())
    audit.audit_bulk_create(actor=None, objs=[root, *teams.values()], customer_attr=None)
    # Hash each password once: PBKDF2 is deliberately slow, and the demo users share one.
    admin_hash, user_hash = make_password(ADMIN_PASSWORD), make_password(USER_PASSWORD)
    users: dict[str, User] = {}
    for i, (username, display, role, team) in enumerate(STAFF):
        users[username] = User(
            username=username,
            display_name=display,
            first_name=display[1:] if role != Role.PORTAL else "",
            last_name=display[:1] if role != Role.PORTAL else "",
            email=f"{username}@hanhai-tech.com.cn",
            phone=f"1391{i:03d}{ctx.rng.randrange(10_000):04d}",
            role=role,
            team=teams[team] if team else None,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
            password=admin_hash if username == ADMIN_USERNAME else user_hash,
        )
    User.objects.bulk_create(users.values())
    for username, manager in MANAGERS.items():
        users[username].manager = users[manager]
    User.objects.bulk_update([users[u] for u in MANAGERS], ["manager"])
    audit.audit_bulk_create(actor=None, objs=users.values(), customer_attr=None)
    ctx.counts["teams"], ctx.counts["users"] = len(teams) + 1, len(users)
    ctx.log(f"部门 {len(teams) + 1}，员工 {len(users)}")
    ctx.teams, ctx.users = teams, users
