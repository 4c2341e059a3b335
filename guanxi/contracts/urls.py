from django.urls import path

from guanxi.contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_new, name="new"),
    path("receivables/", views.receivables, name="receivables"),
    path("<id:pk>/", views.contract_detail, name="detail"),
    path("<id:pk>/edit/", views.contract_edit, name="edit"),
    path("<id:pk>/submit/", views.contract_submit, name="submit"),
    path("<id:pk>/transition/", views.contract_transition, name="transition"),
    path("<id:pk>/plan/", views.plan_split, name="plan"),
    path("<id:pk>/collections/", views.collection_add, name="collect"),
    path("<id:pk>/invoice-titles/", views.invoice_title_add, name="title_add"),
    path("<id:pk>/invoices/", views.invoice_request, name="invoice_request"),
    path("<id:pk>/invoices/<id:invoice_id>/issue/", views.invoice_issue, name="invoice_issue"),
    path("<id:pk>/invoices/<id:invoice_id>/mail/", views.invoice_mail, name="invoice_mail"),
    path("<id:pk>/amendments/", views.amendment_add, name="amend"),
]

# Quotes (报价): ``views_quotes``.
from guanxi.contracts import views_quotes as quotes  # noqa: E402

urlpatterns += [
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/new/", quotes.quote_new, name="quote_new"),
    path("quotes/<id:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<id:pk>/edit/", quotes.quote_edit, name="quote_edit"),
    path("quotes/<id:pk>/lines/", quotes.quote_line_add, name="quote_line_add"),
    path("quotes/<id:pk>/lines/<id:line_id>/", quotes.quote_line_edit, name="quote_line_edit"),
    path(
        "quotes/<id:pk>/lines/<id:line_id>/remove/",
        quotes.quote_line_remove,
        name="quote_line_remove",
    ),
    path("quotes/<id:pk>/pdf/", quotes.quote_pdf, name="quote_pdf"),
    path("quotes/<id:pk>/<slug:action>/", quotes.quote_action, name="quote_action"),
]
