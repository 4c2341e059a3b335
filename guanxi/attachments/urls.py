from django.urls import URLPattern, path

from guanxi.attachments import views

app_name = "attachments"
urlpatterns: list[URLPattern] = [
    path("<slug:kind>/<id:record_id>/", views.attachment_upload, name="upload"),
    path("<id:attachment_id>/delete/", views.attachment_delete, name="delete"),
    path("<id:attachment_id>/share/", views.attachment_share, name="share"),
    path("<id:attachment_id>/download/", views.attachment_download, name="download"),
]
