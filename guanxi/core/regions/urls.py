from django.urls import URLPattern, path

from guanxi.core.regions import views

app_name = "regions"
urlpatterns: list[URLPattern] = [path("cascade/", views.cascade, name="cascade")]
