from django.urls import path

from guanxi.imports import views

app_name = "imports"
# Under /customers/ (where import and export have always been).
urlpatterns = [
    path("import/", views.import_home, name="import"),
    path("import/<id:pk>/", views.import_detail, name="import_detail"),
    path("import/<id:pk>/status/", views.import_status, name="import_status"),
    path("import/<id:pk>/<slug:action>/", views.import_action, name="import_action"),
    path("import/<id:pk>/errors.<str:fmt>", views.import_errors, name="import_errors"),
    path("export/", views.export, name="export"),
    path("export/<uuid:job_id>/", views.export_job, name="export_job"),
    path("export/<uuid:job_id>/download/", views.export_download, name="export_download"),
]
