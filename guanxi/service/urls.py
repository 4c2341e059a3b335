from django.urls import path

from guanxi.service import views
from guanxi.service.views import mailboxes

app_name = "service"
urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/new/", views.ticket_new, name="new"),
    path("tickets/<id:pk>/", views.ticket_detail, name="detail"),
    path("tickets/<id:pk>/edit/", views.ticket_edit, name="edit"),
    path("tickets/<id:pk>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<id:pk>/transition/", views.ticket_transition, name="transition"),
    path("tickets/bulk/", views.ticket_bulk, name="bulk"),
    path("tickets/<id:pk>/complaint/", views.ticket_complaint, name="complaint"),
    path("tickets/<id:pk>/merge/", views.ticket_merge, name="merge"),
    path("tickets/<id:pk>/triage/", views.ticket_triage, name="triage"),
    path("tickets/<id:pk>/triage/customers/", views.triage_customers, name="triage_customers"),
    path("tickets/<id:pk>/spam/", views.ticket_spam, name="spam"),
    path("tickets/<id:pk>/canned/", views.canned_insert, name="canned_insert"),
    path("views/", views.saved_view_create, name="view_create"),
    path("views/<id:pk>/", views.saved_view_action, name="view_action"),
    path("canned/", views.canned_list, name="canned"),
    path("canned/<id:pk>/", views.canned_edit, name="canned_edit"),
    path("complaints/", views.complaint_report, name="complaints"),
    path("settings/root-causes/", views.root_causes, name="root_causes"),
    path("settings/mailboxes/", mailboxes.mailbox_list, name="mailboxes"),
    path("settings/mailboxes/<id:pk>/", mailboxes.mailbox_edit, name="mailbox_edit"),
    path("settings/mailboxes/<id:pk>/switch/", mailboxes.mailbox_switch, name="mailbox_switch"),
    path("s/<str:token>/", views.survey, name="survey"),  # the customer's link, no login
    path("satisfaction/", views.results, name="results"),
    path("satisfaction/nps/", views.nps, name="nps"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/<id:pk>/record/", views.visit_record, name="visit_record"),
]
