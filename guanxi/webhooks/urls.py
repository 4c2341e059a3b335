from django.urls import path

from guanxi.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_create, name="create"),
    path("<id:pk>/", views.subscription_detail, name="detail"),
    path("<id:pk>/edit/", views.subscription_edit, name="edit"),
    path("<id:pk>/delete/", views.subscription_delete, name="delete"),
    path("deliveries/<id:pk>/", views.delivery_detail, name="delivery"),
    path("deliveries/<id:pk>/replay/", views.delivery_replay, name="replay"),
]
