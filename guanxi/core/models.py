from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """An editable record: ``version`` is bumped on every update and checked by services so
    that a stale edit is refused (409) instead of silently overwriting someone's change."""

    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    CREATE = "create", _("创建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    MERGE = "merge", _("合并")
    IMPORT = "import", _("导入")


class AuditSource(models.TextChoices):
    UI = "ui", _("网页")
    API = "api", _("API")
    ADMIN = "admin", _("管理后台")
    IMPORT = "import", _("导入")
    SYSTEM = "system", _("系统")


class AuditEntry(models.Model):
    """One create/update/delete of a tracked record: who, when (UTC), old → new.

    ``customer_id`` is a plain integer (core imports no other app) that ties changes of a
    customer's contacts, orders, … to that customer's change history.
    """

    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150)
    source = models.CharField(_("来源"), max_length=10, choices=AuditSource.choices)
    action = models.CharField(_("动作"), max_length=10, choices=AuditAction.choices)
    model = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40)
    object_repr = models.CharField(_("对象"), max_length=200)
    customer_id = models.BigIntegerField(_("客户编号"), null=True, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["model", "object_id"], name="audit_object_idx"),
            models.Index(fields=["customer_id", "-created_at"], name="audit_customer_idx"),
            models.Index(fields=["-created_at"], name="audit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.model}#{self.object_id}"

    @property
    def actor_display(self) -> str:
        """Who made the change, for people: the user's name, or 系统 for the system's own
        writes (imports by a job, recomputes, demo data), in the reader's language."""
        if self.actor_id is None and self.actor_label in ("", "system"):
            return gettext("系统")
        return self.actor_label


class SecurityEvent(models.Model):
    """Security log: logins, failed logins, exports, role and token changes."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150)
    event = models.CharField(_("事件"), max_length=40)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("安全日志")
        verbose_name_plural = _("安全日志")
        indexes = [models.Index(fields=["-created_at"], name="security_time_idx")]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.event}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """A long-running piece of work (import, export, analytics) as the user sees it:
    progress 0–100 %, a message, a result and errors. The task queue runs it; this row is
    what the UI polls."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    message = models.CharField(_("消息"), max_length=300, blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Who runs it ("host:pid" of the worker process) and when it last reported: a job that
    # says it runs but whose worker is gone (killed, its machine lost) is stalled.
    worker = models.CharField(max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The django-tasks result of the task running the job (its queue entry), recorded by
    # the task when it starts.
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="job_progress_lte_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.progress}%"

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "result": self.result,
            "errors": self.errors,
        }


class WorkerProcess(models.Model):
    """A running ``guanxi worker`` process, as it reports itself: a thread of the worker
    refreshes ``heartbeat_at`` every few seconds, whether or not a task runs. Job pages
    read it to say when no worker is alive; workers read it to tell a dead colleague's
    claimed tasks, which they queue again (``core.workers``)."""

    worker = models.CharField(_("工作进程"), max_length=120, unique=True)  # "host:pid"
    host = models.CharField(_("主机"), max_length=100)
    pid = models.PositiveIntegerField(_("进程号"))
    queues = models.CharField(_("队列"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("启动时间"))
    heartbeat_at = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        verbose_name = _("后台工作进程")
        verbose_name_plural = _("后台工作进程")
        ordering = ["-heartbeat_at"]

    def __str__(self) -> str:
        return self.worker
