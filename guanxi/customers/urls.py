from django.urls import path

from guanxi.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/timeline/", views.customer_timeline, name="timeline"),
    path("<int:pk>/sections/<slug:section>/", views.customer_section, name="section"),
    path("<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("<int:pk>/preferences/", views.preference_add, name="preference_add"),
    path("<int:pk>/communications/", views.communication_add, name="communication_add"),
    path("<int:pk>/orders/", views.order_add, name="order_add"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/contacts/<int:contact_id>/", views.contact_row, name="contact_row"),
    path("<int:pk>/contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:pk>/preferences/<int:preference_id>/", views.preference_row, name="preference_row"),
    path(
        "<int:pk>/preferences/<int:preference_id>/edit/",
        views.preference_edit,
        name="preference_edit",
    ),
    path(
        "<int:pk>/preferences/<int:preference_id>/delete/",
        views.preference_delete,
        name="preference_delete",
    ),
    path(
        "<int:pk>/communications/<int:communication_id>/edit/",
        views.communication_edit,
        name="communication_edit",
    ),
    path(
        "<int:pk>/communications/<int:communication_id>/done/",
        views.follow_up_done,
        name="follow_up_done",
    ),
    path("<int:pk>/orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("<int:pk>/orders/<int:order_id>/cancel/", views.order_cancel, name="order_cancel"),
]

# Import and export (issue 3).
from guanxi.customers.import_urls import urlpatterns as _import_urls  # noqa: E402

urlpatterns += _import_urls

from guanxi.customers import dedup_views  # noqa: E402

urlpatterns += [
    path("duplicates/", dedup_views.duplicate_queue, name="duplicates"),
    path("duplicates/scan/", dedup_views.duplicate_scan, name="duplicate_scan"),
    path("duplicates/<int:pk>/dismiss/", dedup_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("merge/<int:a>/<int:b>/", dedup_views.merge_page, name="merge"),
    path("merges/", dedup_views.merge_history, name="merges"),
    path("merges/<int:pk>/undo/", dedup_views.merge_undo, name="merge_undo"),
]
