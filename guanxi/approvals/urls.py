from django.urls import path

from guanxi.approvals import views

app_name = "approvals"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("requests/", views.request_list, name="list"),
    path("requests/<id:pk>/", views.request_detail, name="detail"),
    path("requests/<id:pk>/decide/", views.request_decide, name="decide"),
    path("requests/<id:pk>/withdraw/", views.request_withdraw, name="withdraw"),
    path("requests/<id:pk>/resubmit/", views.request_resubmit, name="resubmit"),
    path("delegations/", views.delegation_list, name="delegations"),
    path("delegations/<id:pk>/cancel/", views.delegation_cancel, name="delegation_cancel"),
    path("flows/", views.flow_list, name="flows"),
]
