from django.urls import path

from guanxi.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.projects, name="projects"),
    path("projects/<id:project_id>/", views.project_detail, name="project"),
    path("approvals/", views.approvals, name="approvals"),
    path("changes/<id:change_request_id>/", views.change_detail, name="change"),
    path("deliverables/<id:deliverable_id>/", views.deliverable_detail, name="deliverable"),
    path("tickets/", views.tickets, name="tickets"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<id:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<id:ticket_id>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<id:ticket_id>/attach/", views.ticket_attach, name="ticket_attach"),
    path("tickets/<id:ticket_id>/close/", views.ticket_close, name="ticket_close"),
    path("documents/", views.documents, name="documents"),
    path("files/<id:attachment_id>/", views.attachment_download, name="attachment"),
    path("surveys/", views.surveys, name="surveys"),
    path("surveys/<id:survey_id>/", views.survey_detail, name="survey"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<id:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("invitation/<str:token>/", views.accept, name="accept"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/complete/", views.password_reset_complete, name="password_reset_complete"),
    # The staff side: who has portal access to a customer.
    path("staff/customers/<id:customer_id>/", views.manage, name="manage"),
    path("staff/customers/<id:customer_id>/invite/", views.invite, name="invite"),
    path(
        "staff/accounts/<id:account_id>/deactivate/",
        views.account_deactivate,
        name="account_deactivate",
    ),
]
