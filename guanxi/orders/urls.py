from django.urls import path

from guanxi.orders import views

app_name = "orders"
# Under /customers/: an order is reached through its customer; the list of all orders the
# user may see is /customers/orders/.
urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("<id:pk>/orders/", views.order_add, name="add"),
    path("<id:pk>/orders/<id:order_id>/", views.order_detail, name="detail"),
    path("<id:pk>/orders/<id:order_id>/cancel/", views.order_cancel, name="cancel"),
]
