from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import audit
from guanxi.core.admin import ReadOnlyAdmin
from guanxi.core.models import AuditSource
from guanxi.notifications import services
from guanxi.notifications.channels import DeliveryError, Message, absolute_url, robot_send
from guanxi.notifications.delivery import delivery_retry
from guanxi.notifications.models import Delivery, Notification, Robot, RuleState


class RobotForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Robot
        fields = ("team", "name", "provider", "webhook_url", "secret", "enabled")
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("provider") and data.get("webhook_url"):
            error = services.robot_url_error(data["provider"], data["webhook_url"])
            if error:
                self.add_error("webhook_url", error)
        return data


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A department's group robot. Saved through ``services.robot_save``: validated (the
    platform's host only) and audited with the secret masked."""

    form = RobotForm
    list_display = ("name", "team", "provider", "enabled", "updated_at")
    list_filter = ("provider", "enabled")
    search_fields = ("name", "team__name")
    actions = ["send_test"]

    def save_model(self, request: HttpRequest, obj: Robot, form: Any, change: bool) -> None:
        before = None
        if change:
            before = services.robot_snapshot(Robot.objects.get(pk=obj.pk))
        with audit.audit_source(AuditSource.ADMIN):
            services.robot_save(actor=request.user, robot=obj, before=before)

    def delete_model(self, request: HttpRequest, obj: Robot) -> None:
        with audit.audit_source(AuditSource.ADMIN):
            services.robot_delete(actor=request.user, robot=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Robot]) -> None:
        with transaction.atomic(), audit.audit_source(AuditSource.ADMIN):
            for robot in queryset:
                services.robot_delete(actor=request.user, robot=robot)

    @admin.action(description=gettext_lazy("发送测试消息"))
    def send_test(self, request: HttpRequest, queryset: QuerySet[Robot]) -> None:
        message = Message(
            title=_("关系 Guanxi 测试消息"),
            body=_("群机器人配置正确。"),
            url=absolute_url("/"),
        )
        for robot in queryset:
            try:
                robot_send(robot, message, link_label=_("查看详情"))
            except DeliveryError as exc:
                self.message_user(request, f"{robot}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("%(robot)s：已发送。") % {"robot": robot})


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "in_inbox", "read_at")
    list_filter = ("kind", "in_inbox")
    search_fields = ("title", "dedupe_key")
    raw_id_fields = ("recipient", "actor")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "robot", "status", "attempts", "sent_at", "last_error")
    list_filter = ("channel", "status")
    actions = ["retry"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))  # for the retry action

    @admin.action(description=gettext_lazy("重新发送"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        for pk in queryset.values_list("pk", flat=True):
            delivery_retry(delivery_id=pk)
        self.message_user(request, _("已安排重新发送。"))


@admin.register(RuleState)
class RuleStateAdmin(ReadOnlyAdmin):
    list_display = (
        "key",
        "last_day",
        "last_due",
        "last_created",
        "last_finished_at",
        "last_worker",
    )
