"""Names in the user's language for the apps and models of the libraries we install
(django-axes, django-otp, django-tasks), which ship no Chinese: without them the Chinese
admin lists "Access attempts", "Task Results", "TOTP devices", filters "以 confirmed" and
searches "by user's 用户名". Set once in
``CoreConfig.ready()`` (every model is loaded by then); an app that is not installed is
skipped."""

from __future__ import annotations

from typing import Any, Final

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

#: app label → (app name, {model name: (verbose_name, verbose_name_plural)})
LABELS: Final[dict[str, tuple[Any, dict[str, tuple[Any, Any]]]]] = {
    "axes": (
        _("登录限制"),
        {
            "AccessAttempt": (_("登录尝试"), _("登录尝试")),
            "AccessAttemptExpiration": (_("登录尝试到期"), _("登录尝试到期")),
            "AccessFailureLog": (_("登录失败"), _("登录失败")),
            "AccessLog": (_("登录记录"), _("登录记录")),
        },
    ),
    "otp_totp": (_("动态口令（TOTP）"), {"TOTPDevice": (_("TOTP 设备"), _("TOTP 设备"))}),
    "otp_static": (
        _("备用验证码"),
        {
            "StaticDevice": (_("备用验证码设备"), _("备用验证码设备")),
            "StaticToken": (_("备用验证码"), _("备用验证码")),
        },
    ),
    "django_otp": (_("两步验证"), {}),
    "django_tasks": (_("后台任务"), {}),
    "django_tasks_database": (
        _("后台任务队列"),
        {"DBTaskResult": (_("任务结果"), _("任务结果"))},
    ),
}


#: the fields of django-otp's devices, named from the code ("confirmed", "last used at")
#: without a ``verbose_name``: shown as the admin's list columns and filters
_DEVICE_FIELDS: Final[dict[str, Any]] = {
    "user": _("用户"),
    "name": _("名称"),
    "confirmed": _("已确认"),
    "created_at": _("创建时间"),
    "last_used_at": _("最近使用时间"),
}
FIELDS: Final[dict[tuple[str, str], dict[str, Any]]] = {
    ("otp_totp", "TOTPDevice"): _DEVICE_FIELDS,
    ("otp_static", "StaticDevice"): _DEVICE_FIELDS,
    ("otp_static", "StaticToken"): {"device": _("设备"), "token": _("验证码")},
}


def _or_list(names: list[Any]) -> str:
    return str(_("或")).join(str(name) for name in names)


def _search_help(model_admin: Any) -> Any:
    """django-otp's admins build "Search by user's 用户名 or 电子邮件地址" once, at import, in
    the default language: the same help, translated when it is shown."""
    user_model = get_user_model()
    names = [
        getattr(user_model._meta.get_field(field.split("__", 1)[1]), "verbose_name", field)
        for field in model_admin.search_fields
        if field.startswith("user__")
    ]
    return format_lazy(_("按用户的{fields}搜索"), fields=lazy(_or_list, str)(names))


def _install_admin_help() -> None:
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label.startswith("otp_") and str(
            model_admin.search_help_text or ""
        ).startswith("Search by user's"):
            # per instance: the one registered admin of that model (the class stays as is)
            model_admin.search_help_text = _search_help(model_admin)  # type: ignore[misc]


def install() -> None:
    _install_labels()
    for (label, model_name), fields in FIELDS.items():
        try:
            model = apps.get_model(label, model_name)
        except LookupError:
            continue
        for name, verbose_name in fields.items():
            model._meta.get_field(name).verbose_name = verbose_name
    _install_admin_help()


def _install_labels() -> None:
    for label, (app_name, models) in LABELS.items():
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        config.verbose_name = app_name
        for model_name, (singular, plural) in models.items():
            try:
                model = config.get_model(model_name)
            except LookupError:
                continue
            model._meta.verbose_name = singular
            model._meta.verbose_name_plural = plural
