from django.urls import URLPattern, URLResolver, include, path

from guanxi.customers import views

app_name = "customers"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("duplicate-check/", views.duplicate_check, name="duplicate_check"),
    path("contacts/", views.contact_list, name="contact_list"),
    path(
        "contacts/duplicate-check/",
        views.contact_duplicate_check,
        name="contact_duplicate_check",
    ),
    path("communications/", views.communication_list, name="communication_list"),
    path("<id:pk>/", views.customer_detail, name="detail"),
    path("<id:pk>/edit/", views.customer_edit, name="edit"),
    path("<id:pk>/timeline/", views.customer_timeline, name="timeline"),
    path("<id:pk>/sections/<slug:section>/", views.customer_section, name="section"),
    path("<id:pk>/contacts/", views.contact_add, name="contact_add"),
    path("<id:pk>/preferences/", views.preference_add, name="preference_add"),
    path("<id:pk>/communications/", views.communication_add, name="communication_add"),
    path("<id:pk>/delete/", views.customer_delete, name="delete"),
    path("<id:pk>/contacts/<id:contact_id>/", views.contact_row, name="contact_row"),
    path("<id:pk>/contacts/<id:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("<id:pk>/contacts/<id:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("<id:pk>/preferences/<id:preference_id>/", views.preference_row, name="preference_row"),
    path(
        "<id:pk>/preferences/<id:preference_id>/edit/",
        views.preference_edit,
        name="preference_edit",
    ),
    path(
        "<id:pk>/preferences/<id:preference_id>/delete/",
        views.preference_delete,
        name="preference_delete",
    ),
    path(
        "<id:pk>/communications/<id:communication_id>/edit/",
        views.communication_edit,
        name="communication_edit",
    ),
    path(
        "<id:pk>/communications/<id:communication_id>/done/",
        views.follow_up_done,
        name="follow_up_done",
    ),
    path("<id:pk>/collaborators/", views.collaborator_add, name="collaborator_add"),
    path(
        "<id:pk>/collaborators/<id:user_id>/remove/",
        views.collaborator_remove,
        name="collaborator_remove",
    ),
]

# Duplicate review and merge (A6): same paths and names, ``customers:duplicates`` …
urlpatterns += [path("", include("guanxi.customers.duplicates.urls"))]
# The recycle bin (回收站): ``customers:bin``, ``customers:restore``, ``customers:purge``.
urlpatterns += [path("", include("guanxi.customers.bin.urls"))]
