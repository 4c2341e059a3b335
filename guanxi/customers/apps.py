from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("客户")

    def ready(self) -> None:
        from guanxi.customers import timeline  # noqa: F401 - registers the built-in kinds
