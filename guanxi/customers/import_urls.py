from django.urls import path

from guanxi.customers import import_views as views

urlpatterns = [
    path("import/", views.import_home, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/status/", views.import_status, name="import_status"),
    path("import/<int:pk>/<slug:action>/", views.import_action, name="import_action"),
    path("import/<int:pk>/errors.<str:fmt>", views.import_errors, name="import_errors"),
    path("export/", views.export, name="export"),
    path("export/<uuid:job_id>/", views.export_job, name="export_job"),
    path("export/<uuid:job_id>/download/", views.export_download, name="export_download"),
]
