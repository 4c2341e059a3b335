"""``guanxi demo`` / ``manage.py load_demo``: load the demo company once (idempotent)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanxi.customers import demo


class Command(BaseCommand):
    help = "Load the demo company (上海瀚海信息科技有限公司) unless demo data or customers exist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=demo.DEFAULT_CUSTOMERS, help="number of customers"
        )
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        log = (lambda msg: self.stdout.write(f"  {msg}")) if options["verbosity"] > 1 else None
        result = demo.build_demo(customers=options["customers"], seed=options["seed"], log=log)
        if not result.created:
            self.stdout.write(
                "演示数据已存在（或数据库已有客户），未做改动。 Demo data present; nothing to do."
            )
            return
        value_note = self._compute_values()
        seconds = time.perf_counter() - started
        counts = "，".join(f"{k} {v:,}" for k, v in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"已载入演示数据（{demo.COMPANY}），用时 {seconds:.1f} 秒。")
        )
        self.stdout.write(f"  {counts}")
        if value_note:
            self.stdout.write(f"  {value_note}")
        self.stdout.write(f"  管理员 admin / {demo.ADMIN_PASSWORD}")
        self.stdout.write(f"  其他演示用户密码均为 {demo.USER_PASSWORD}：")
        for username, name, role, team in result.users:
            if username != demo.ADMIN_USERNAME:
                self.stdout.write(f"    {username:<10} {name}  {role}  {team}")

    def _compute_values(self) -> str:
        """The demo's customer values, so the value columns, the 360 card and the
        dashboard have content on the first visit (later runs: nightly or on demand)."""
        from django.apps import apps

        if not apps.is_installed("guanxi.analytics"):
            return ""
        from guanxi.accounts.models import User
        from guanxi.analytics.services import analytics_recompute

        admin = User.objects.get(username=demo.ADMIN_USERNAME)
        run = analytics_recompute(actor=admin)
        return f"客户价值已计算（{run.customers:,} 位客户）。 Customer values computed."
