"""URLs of the recycle bin, included by ``customers.urls`` under the ``customers``
namespace (``customers:bin``, ``customers:restore``, ``customers:purge``)."""

from django.urls import path

from guanxi.customers.bin import views

urlpatterns = [
    path("bin/", views.recycle_bin, name="bin"),
    path("bin/<id:pk>/restore/", views.customer_restore, name="restore"),
    path("bin/<id:pk>/purge/", views.customer_purge, name="purge"),
]
