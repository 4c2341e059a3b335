"""URLs of the duplicate review and merge pages, included by ``customers.urls`` under the
``customers`` namespace (``customers:duplicates``, ``customers:merge`` …)."""

from django.urls import path

from guanxi.customers.duplicates import views

urlpatterns = [
    path("duplicates/", views.duplicate_queue, name="duplicates"),
    path("duplicates/scan/", views.duplicate_scan, name="duplicate_scan"),
    path("duplicates/<id:pk>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("merge/<id:a>/<id:b>/", views.merge_page, name="merge"),
    path("merges/", views.merge_history, name="merges"),
    path("merges/<id:pk>/undo/", views.merge_undo, name="merge_undo"),
]
