from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "guanxi.imports"
    label = "imports"
    verbose_name = _("导入/导出")

    def ready(self) -> None:
        from guanxi.core.navigation import register_nav
        from guanxi.imports import selectors
        from guanxi.imports import webhooks as import_webhooks

        import_webhooks.register()
        # Each app's import kinds and export lists: ``guanxi/<app>/importers``.
        autodiscover_modules("importers")
        register_nav(
            key="import",
            label=_("导入/导出"),
            url_name="imports:import",
            visible=lambda user: selectors.may_use_import_page(actor=user),
            url_names=["imports:import", "imports:import_detail"],
            order=20,
        )
