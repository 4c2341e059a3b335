from django.urls import path

from guanxi.core import views

app_name = "core"
urlpatterns = [
    path("<uuid:job_id>/progress/", views.job_progress, name="job_progress"),
]
