"""``guanxi demo`` / ``manage.py load_demo``: load the demo company once (idempotent)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanxi.demo.build import COMPANY, DEFAULT_CUSTOMERS, DEFAULT_SEED, build_demo
from guanxi.demo.seeders import AFTER_COMMIT
from guanxi.demo.seeders.accounts import ADMIN_PASSWORD, ADMIN_USERNAME, USER_PASSWORD


class Command(BaseCommand):
    help = "Load the demo company (上海瀚海信息科技有限公司) unless demo data or customers exist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=DEFAULT_CUSTOMERS, help="number of customers"
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        log = (lambda msg: self.stdout.write(f"  {msg}")) if options["verbosity"] > 1 else None
        result = build_demo(customers=options["customers"], seed=options["seed"], log=log)
        if not result.created:
            self.stdout.write(
                "演示数据已存在（或数据库已有客户），未做改动。 Demo data present; nothing to do."
            )
            return
        notes = [note for step in AFTER_COMMIT if (note := step())]
        seconds = time.perf_counter() - started
        counts = "，".join(f"{k} {v:,}" for k, v in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"已载入演示数据（{COMPANY}），用时 {seconds:.1f} 秒。")
        )
        self.stdout.write(f"  {counts}")
        for note in notes:
            self.stdout.write(f"  {note}")
        self.stdout.write(f"  管理员 admin / {ADMIN_PASSWORD}")
        self.stdout.write(f"  其他演示用户密码均为 {USER_PASSWORD}：")
        for username, name, role, team in result.users:
            if username != ADMIN_USERNAME:
                self.stdout.write(f"    {username:<10} {name}  {role}  {team}")
