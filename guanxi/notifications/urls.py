from django.urls import URLPattern, path

from guanxi.notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("", views.my_day, name="my_day"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/bell/", views.bell, name="bell"),
    path("inbox/read-all/", views.mark_all_read, name="mark_all_read"),
    path("inbox/<id:pk>/read/", views.mark_read, name="mark_read"),
    path("inbox/<id:pk>/open/", views.open_notification, name="open"),
    path("inbox/preferences/", views.preferences, name="preferences"),
]
