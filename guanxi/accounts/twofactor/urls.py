from django.urls import URLPattern, path

from guanxi.accounts.twofactor import views

app_name = "twofactor"
urlpatterns: list[URLPattern] = [
    path("", views.setup, name="setup"),
    path("enrol/", views.enrol, name="enrol"),
    path("confirm/", views.confirm, name="confirm"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("disable/", views.disable, name="disable"),
    path("verify/", views.verify, name="verify"),
]
