from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "guanxi.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from django.urls import register_converter

        from guanxi.core.converters import IdConverter

        register_converter(IdConverter, "id")

        from guanxi.core import thirdparty_labels

        thirdparty_labels.install()
