from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "guanxi.accounts"
    label = "accounts"
    verbose_name = _("账户")

    def ready(self) -> None:
        from guanxi.accounts import references, security

        security.connect()
        from django.contrib.auth.signals import user_logged_in

        from guanxi.accounts.twofactor.middleware import on_login

        user_logged_in.connect(on_login, dispatch_uid="gx-2fa-login")
        references.register()
