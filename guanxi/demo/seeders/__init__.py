"""The demo's seeders: a module per app, each step a function of the shared
:class:`~guanxi.demo.context.Context`.

:data:`SEEDERS` run in this order in one transaction and draw from one random stream in
turn, so a step's place decides what it draws: the order is part of the demo (the same seed
gives the same company). A new app adds its module and appends its steps at the end, which
leaves the data of the steps before it as it was. The communications come after the orders
because they always have.

:data:`AFTER_COMMIT` run once the demo is committed (by ``load_demo``, not by
``build_demo``): derived data the apps compute with their own services. Each returns a line
for the command's report, or ``""``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from guanxi.demo.context import Context
from guanxi.demo.seeders import (
    accounts,
    analytics,
    attachments,
    contracts,
    customers,
    orders,
    pool,
    project_baselines,
    project_costs,
    projects,
    sales,
    service,
)
from guanxi.demo.seeders import portal as portal_seeder
from guanxi.demo.seeders import project_risks as project_risks_seeder
from guanxi.demo.seeders.project_changes import seed_project_changes

Seeder = Callable[[Context], None]

SEEDERS: Final[tuple[Seeder, ...]] = (
    accounts.seed_staff,
    customers.seed_tags,
    orders.seed_products,
    customers.seed_customers,
    orders.seed_orders,
    customers.seed_communications,
    customers.seed_collaborators,
    sales.seed_sales,
    service.seed_service,
    pool.seed_pool,
    contracts.seed_contracts,
    projects.seed_projects,
    project_baselines.seed_project_baselines,
    project_costs.seed_project_costs,
    portal_seeder.seed_portal,
    project_risks_seeder.seed_project_risks,
    seed_project_changes,
)

AFTER_COMMIT: Final[tuple[Callable[[], str], ...]] = (
    analytics.compute_values,
    projects.refresh_kpis,
    attachments.seed_attachments,
)
