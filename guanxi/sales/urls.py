from django.urls import include, path

from guanxi.sales import views, views_forecast

app_name = "sales"
urlpatterns = [
    path("", views.home, name="home"),
    path("pipelines/<id:pk>/", views.kanban, name="kanban"),
    path("pipelines/<id:pk>/stages/<id:stage_id>/cards/", views.column_more, name="column"),
    path("opportunities/", views.opportunity_list, name="list"),
    path("opportunities/new/", views.opportunity_new, name="new"),
    path("opportunities/<id:pk>/", views.opportunity_detail, name="detail"),
    path("opportunities/<id:pk>/edit/", views.opportunity_edit, name="edit"),
    path("opportunities/<id:pk>/lines/", views.line_add, name="line_add"),
    path("opportunities/<id:pk>/lines/<id:line_id>/delete/", views.line_remove, name="line_remove"),
    path("opportunities/<id:pk>/move/", views.move, name="move"),
    path("opportunities/<id:pk>/win/", views.opportunity_win, name="win"),
    path("opportunities/<id:pk>/lose/", views.opportunity_lose, name="lose"),
    path("opportunities/<id:pk>/activities/", views.activity_add, name="activity_add"),
    path("leads/", views.lead_list, name="leads"),
    path("leads/new/", views.lead_new, name="lead_new"),
    path("leads/check/", views.lead_check, name="lead_check"),
    path("leads/<id:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<id:pk>/convert/", views.lead_convert, name="lead_convert"),
    path("form/", views.web_lead, name="web_lead"),
    path("pool/", include("guanxi.sales.pool.urls")),
    path("forecast/", views_forecast.forecast_page, name="forecast"),
    path(
        "opportunities/<id:pk>/forecast/",
        views_forecast.opportunity_forecast,
        name="opportunity_forecast",
    ),
    path("targets/", views_forecast.targets_page, name="targets"),
    path("targets/new/", views_forecast.target_new, name="target_new"),
    path("targets/policy/", views_forecast.target_policy, name="target_policy"),
    path("targets/history/", views_forecast.target_history, name="target_history"),
    path("targets/<id:pk>/", views_forecast.target_edit, name="target_edit"),
    path("targets/<id:pk>/delete/", views_forecast.target_delete, name="target_delete"),
]
