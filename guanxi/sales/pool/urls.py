from django.urls import path

from guanxi.sales.pool import views

app_name = "pool"
urlpatterns = [
    path("", views.pool_list, name="list"),
    path("new/", views.pool_new, name="new"),
    path("<id:pk>/", views.pool_detail, name="detail"),
    path("<id:pk>/history/", views.pool_history, name="history"),
    path("<id:pk>/settings/", views.pool_settings, name="settings"),
    path("<id:pk>/rules/", views.rule_add, name="rule_add"),
    path("<id:pk>/rules/<id:rule_id>/", views.rule_edit, name="rule_edit"),
    path("<id:pk>/rules/<id:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("<id:pk>/members/", views.member_add, name="member_add"),
    path("<id:pk>/members/<id:user_id>/delete/", views.member_remove, name="member_remove"),
    path("<id:pk>/customers/<id:customer_id>/claim/", views.pool_claim, name="claim"),
    path("<id:pk>/customers/<id:customer_id>/assign/", views.pool_assign, name="assign"),
    path("return/<id:customer_id>/", views.customer_return, name="return"),
    path("lock/<id:customer_id>/", views.customer_lock, name="lock"),
]
