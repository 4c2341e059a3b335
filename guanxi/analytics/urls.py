from django.urls import path

from guanxi.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("recompute/", views.recompute, name="recompute"),
    path("settings/", views.settings_edit, name="settings"),
    path("export/<slug:table>.csv", views.export, name="export"),
]
