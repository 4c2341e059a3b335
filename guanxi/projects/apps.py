from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ProjectsConfig(AppConfig):
    name = "guanxi.projects"
    label = "projects"
    verbose_name = _("项目")

    def ready(self) -> None:
        # What projects add to the house through its registries: the menu entry, the
        # "project" timeline kind, and the "create project" action on a won opportunity.
        from guanxi.core.actions import RecordAction, register_record_action
        from guanxi.core.navigation import register_nav
        from guanxi.customers.timeline import register_kind
        from guanxi.projects import selectors
        from guanxi.projects.actions import contract_action_context, opportunity_action_context

        register_nav(
            key="projects",
            label=pgettext_lazy("navigation", "项目"),
            url_name="projects:list",
            visible=selectors.can_use,
            namespaces=["projects"],
            # 工时 has its own entry (members log hours daily); 经验教训 lives under 项目
            exclude_url_names=["projects:timesheet", "projects:time_approvals"],
            order=16,
        )
        register_kind("project", label=_("项目"), icon="▦", color="info")
        register_record_action(
            RecordAction(
                key="projects.from_opportunity",
                model="sales.opportunity",
                template="projects/_opportunity_action.html",
                context=opportunity_action_context,
            )
        )
        register_record_action(
            RecordAction(
                key="projects.from_contract",
                model="contracts.contract",
                template="projects/_contract_action.html",
                context=contract_action_context,
            )
        )
        # Timesheets and costs: the "工时" menu entry, the "project_cost" approval document
        # and attachable cost entries.
        from guanxi.projects import costs_registry

        register_nav(
            key="timesheet",
            label=pgettext_lazy("navigation", "工时"),
            url_name="projects:timesheet",
            visible=selectors.can_use,
            url_names=["projects:timesheet", "projects:time_approvals"],
            order=17,
        )
        costs_registry.register()
        # Project documents: files on the project (shareable with the customer's portal).
        from guanxi.projects import attachments

        attachments.register()
        # Change requests and deliverable acceptance: the "change_request" approval
        # document and the project manager's notification kinds.
        from guanxi.projects import changes_registry

        changes_registry.register()
        # Cost overruns as the customer's cost to serve (the analytics value run, F8).
        from guanxi.projects import cost_to_serve

        cost_to_serve.register()
        # Risks and closure: the daily rule that raises risks from CRM signals (satisfaction,
        # change requests, visits, value class, collections). The lessons learned are
        # reached from the project list, under the "项目" entry.
        from guanxi.projects import risk_signals

        risk_signals.register()
        # Baselines and earned value: the weekly status report (周报) of every active
        # project with a baseline, frozen each Friday by the worker.
        from guanxi.core.periodic import PeriodicJob, register_periodic
        from guanxi.projects.services.baselines import status_reports_weekly

        register_periodic(
            PeriodicJob("projects.status_reports", 3600.0, lambda: status_reports_weekly())
        )
        # KPIs: the nightly refresh of the portfolio's snapshots (a batch every hour until
        # every active project has today's figures).
        from guanxi.projects.services.kpi import kpi_refresh_due

        register_periodic(PeriodicJob("projects.kpi_refresh", 3600.0, lambda: kpi_refresh_due()))
