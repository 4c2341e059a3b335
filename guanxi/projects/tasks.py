"""Background work of projects: the KPI snapshot refresh (``services.kpi``)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_project_kpi(project_id: int) -> None:
    from guanxi.projects.services.kpi import kpi_refresh

    kpi_refresh(project_id=project_id)
