from django.contrib import admin
from django.urls import include, path

from config.api import api
from guanxi.core import views as core_views

urlpatterns = [
    path("", include("guanxi.notifications.urls")),  # "my day" at /, the inbox at /inbox/
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/2fa/", include("guanxi.accounts.twofactor.urls")),
    path("accounts/", include("guanxi.accounts.urls")),
    path("jobs/", include("guanxi.core.urls")),
    path("regions/", include("guanxi.core.regions.urls")),
    path("home/", core_views.home, name="home"),  # after login: the user's landing page
    path("portal/", include("guanxi.portal.urls")),
    path("customers/", include("guanxi.customers.urls")),
    path("customers/", include("guanxi.orders.urls")),
    path("customers/", include("guanxi.imports.urls")),
    path("analytics/", include("guanxi.analytics.urls")),
    path("sales/", include("guanxi.sales.urls")),
    path("service/", include("guanxi.service.urls")),
    path("contracts/", include("guanxi.contracts.urls")),
    path("projects/", include("guanxi.projects.urls")),
    path("webhooks/", include("guanxi.webhooks.urls")),
    path("attachments/", include("guanxi.attachments.urls")),
    path("approvals/", include("guanxi.approvals.urls")),
]
