from django.urls import path

from guanxi.projects import (
    views,
    views_changes,
    views_costs,
    views_evm,
    views_interchange,
    views_risks,
)

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_new, name="new"),
    path("from-opportunity/<id:opportunity_id>/", views.from_opportunity, name="from_opportunity"),
    path("from-contract/<id:contract_id>/", views.from_contract, name="from_contract"),
    path("<id:pk>/", views.project_detail, name="detail"),
    path("<id:pk>/tasks/", views.task_add, name="task_add"),
    path("<id:pk>/tasks/<id:task_id>/", views.task_edit, name="task_edit"),
    path("<id:pk>/tasks/<id:task_id>/delete/", views.task_delete, name="task_delete"),
    path("<id:pk>/links/", views.link_add, name="link_add"),
    path("<id:pk>/links/<id:link_id>/delete/", views.link_delete, name="link_delete"),
    path("<id:pk>/members/", views.member_add, name="member_add"),
    path("<id:pk>/deliverables/", views.deliverable_add, name="deliverable_add"),
    path("<id:pk>/board/", views.board, name="board"),
    path("<id:pk>/board/<id:task_id>/move/", views.board_move, name="board_move"),
    path("<id:pk>/gantt/", views.gantt, name="gantt"),
    path("<id:pk>/gantt.json", views.gantt_data, name="gantt_data"),
    path("<id:pk>/gantt/<id:task_id>/reschedule/", views.gantt_reschedule, name="reschedule"),
    path("<id:pk>/gates/", views.gates, name="gates"),
    path("<id:pk>/gates/items/<id:item_id>/", views.gate_item, name="gate_item"),
    path("<id:pk>/gates/pass/", views.gate_pass, name="gate_pass"),
    # MS Project files, resource load, calendar feeds (views_interchange)
    path("plan/import/", views_interchange.plan_import, name="plan_import"),
    path("<id:project_id>/plan.xml", views_interchange.plan_download, name="plan_download"),
    path("load/", views_interchange.load_view, name="load"),
    path("people/<id:user_id>/load/", views_interchange.person_load, name="person_load"),
    path("feeds/", views_interchange.feed_list, name="feeds"),
    path("feeds/<id:feed_id>/revoke/", views_interchange.feed_revoke, name="feed_revoke"),
    path("feeds/<str:token>.ics", views_interchange.feed_ics, name="feed_ics"),
    # Risk register, closure, lessons learned (views_risks)
    path("<id:pk>/risks/", views_risks.risks, name="risks"),
    path("<id:pk>/risks/<id:risk_id>/", views_risks.risk_edit, name="risk_edit"),
    path("<id:pk>/risks/<id:risk_id>/draws/", views_risks.risk_draw, name="risk_draw"),
    path("<id:pk>/closure/", views_risks.closure, name="closure"),
    path("<id:pk>/closure/evaluation/", views_risks.closure_evaluation, name="closure_evaluation"),
    path("<id:pk>/lessons/", views_risks.lesson_add, name="lesson_add"),
    path("lessons/", views_risks.lessons, name="lessons"),
    # Baselines, earned value and status reports (views_evm)
    path("<id:pk>/evm/", views_evm.evm_page, name="evm"),
    path("<id:pk>/evm/baselines/", views_evm.baseline_take, name="baseline_take"),
    path(
        "<id:pk>/evm/baselines/<id:baseline_id>/approve/",
        views_evm.baseline_approve,
        name="baseline_approve",
    ),
    path("<id:pk>/evm/settings/", views_evm.settings_save, name="evm_settings"),
    path("<id:pk>/evm/reports/", views_evm.report_take, name="status_report_take"),
    path(
        "<id:pk>/evm/reports/<id:report_id>/",
        views_evm.report_download,
        name="status_report_download",
    ),
    # Timesheets, approvals and the project's costs (views_costs)
    path("timesheet/", views_costs.timesheet, name="timesheet"),
    path("timesheet/approvals/", views_costs.time_approvals, name="time_approvals"),
    path("<id:pk>/costs/", views_costs.project_costs, name="costs"),
    path("<id:pk>/costs/<id:entry_id>/", views_costs.cost_entry_detail, name="cost_entry"),
    path(
        "<id:pk>/costs/<id:entry_id>/action/",
        views_costs.cost_entry_action,
        name="cost_entry_action",
    ),
    # Change requests and deliverable acceptance (views_changes)
    path("<id:pk>/changes/", views_changes.change_list, name="changes"),
    path("<id:pk>/changes/new/", views_changes.change_new, name="change_new"),
    path("<id:pk>/changes/<id:cr_id>/", views_changes.change_detail, name="change_detail"),
    path("<id:pk>/changes/<id:cr_id>/impact/", views_changes.change_impact, name="change_impact"),
    path("<id:pk>/changes/<id:cr_id>/decide/", views_changes.change_decide, name="change_decide"),
    path(
        "<id:pk>/changes/<id:cr_id>/<str:action>/",
        views_changes.change_transition,
        name="change_transition",
    ),
    path("<id:pk>/acceptance/", views_changes.deliverables, name="deliverables"),
    path(
        "<id:pk>/acceptance/<id:deliverable_id>/criteria/",
        views_changes.criterion_add,
        name="criterion_add",
    ),
    path(
        "<id:pk>/acceptance/criteria/<id:criterion_id>/",
        views_changes.criterion_toggle,
        name="criterion_toggle",
    ),
    path(
        "<id:pk>/acceptance/<id:deliverable_id>/tasks/",
        views_changes.deliverable_tasks,
        name="deliverable_tasks",
    ),
    path(
        "<id:pk>/acceptance/<id:deliverable_id>/submit/",
        views_changes.deliverable_submit,
        name="deliverable_submit",
    ),
    path(
        "<id:pk>/acceptance/<id:deliverable_id>/decide/",
        views_changes.deliverable_decide,
        name="deliverable_decide",
    ),
]
