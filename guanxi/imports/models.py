"""Models of the import engine. The tables keep the names they had in the customers app.

* :class:`ImportMapping` — a named column mapping template (header → field) for one kind.
* :class:`ImportRun` — one import of one file: where the file is, how it is read (format,
  encoding, delimiter, sheet), the mapping and options, the counters, and the checkpoint:
  the last file row whose chunk has been committed. A run is resumable from the checkpoint.
  Its ``status`` is the import's own lifecycle (uploaded → started → finished → undone);
  whether it is running now, how far, on which worker and why it failed is the state of
  its progress job (``job``, a ``core.Job``), kept there only.
* :class:`ImportChunk` — the ledger: one row per committed chunk, written in the same
  transaction as the chunk's data. It lists the ids the chunk created and the before-values
  of what it updated, so a finished import can be undone; together with
  ``ImportRun.file_hash`` it makes re-importing the same file a no-op.
* :class:`ImportRowError` — a rejected row (or value) for the error report; the message is
  stored as a code and parameters and translated when the report is made.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "ImportChunk",
    "ImportMapping",
    "ImportRowError",
    "ImportRun",
    "ImportStatus",
    "OnDuplicate",
]


class OnDuplicate(models.TextChoices):
    UPDATE = "update", _("更新已有记录")
    SKIP = "skip", _("跳过")
    CREATE = "create", _("仍然新建")


class ImportStatus(models.TextChoices):
    """The run's lifecycle. A started run is running, interrupted or failed as its job
    says (``selectors.import_run_state``)."""

    UPLOADED = "uploaded", _("已上传")
    STARTED = "started", _("导入中")
    FINISHED = "finished", _("已完成")
    UNDONE = "undone", _("已撤销")


def _kind_label(kind: str) -> str:
    from guanxi.imports import registry

    found = registry.get_kind(kind)
    return str(found.label) if found is not None else kind


class ImportMapping(models.Model):
    """A saved mapping template: ``columns`` maps a file header to a field name."""

    name = models.CharField(_("名称"), max_length=100)
    # an import kind's key (``registry``): no choices, a new kind needs no migration here
    kind = models.CharField(_("类型"), max_length=20)
    columns = models.JSONField(_("列对应"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        db_table = "customers_importmapping"
        verbose_name = _("导入映射模板")
        verbose_name_plural = _("导入映射模板")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="import_mapping_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return _kind_label(self.kind)


class ImportRun(models.Model):
    kind = models.CharField(_("类型"), max_length=20)
    status = models.CharField(
        _("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("来源"), max_length=10, default="ui")
    # The file: stored under ``storage_name`` (web/API uploads) or read from ``local_path``
    # (the command line). ``file_hash`` (SHA-256 of the bytes) keys the checkpoint.
    file_name = models.CharField(_("文件名"), max_length=255)
    storage_name = models.CharField(max_length=300, blank=True)
    local_path = models.CharField(max_length=1000, blank=True)
    file_hash = models.CharField(_("文件指纹"), max_length=64)
    file_size = models.BigIntegerField(_("文件大小"), default=0)
    file_format = models.CharField(_("格式"), max_length=10, blank=True)
    encoding = models.CharField(pgettext_lazy("file", "编码"), max_length=30, blank=True)
    delimiter = models.CharField(_("分隔符"), max_length=2, blank=True)
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    headers = models.JSONField(_("表头"), default=list, blank=True)
    mapping = models.JSONField(_("列对应"), default=dict, blank=True)
    options = models.JSONField(_("选项"), default=dict, blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total_rows = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新建"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    skipped_count = models.PositiveIntegerField(pgettext_lazy("import result", "跳过"), default=0)
    failed_count = models.PositiveIntegerField(_("失败"), default=0)
    # The last file row number (1-based, header included) of the last committed chunk.
    checkpoint_row = models.PositiveIntegerField(_("检查点行号"), default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    # What the undo did (a failure's message is its job's).
    message = models.CharField(_("消息"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "customers_importrun"
        verbose_name = _("导入")
        verbose_name_plural = _("导入")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["file_hash", "kind"], name="import_run_hash_idx"),
            models.Index(fields=["created_by", "-created_at"], name="import_run_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind_label} · {self.file_name}"

    @property
    def kind_label(self) -> str:
        """The kind's label as its app registered it."""
        return _kind_label(self.kind)

    @property
    def on_duplicate(self) -> str:
        return str(self.options.get("on_duplicate", OnDuplicate.UPDATE))


class ImportChunk(models.Model):
    """What one committed chunk did. ``created`` maps a model label to the ids it created;
    ``updated`` lists ``[model label, id, {field: value before}]``."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    created = models.JSONField(default=dict, blank=True)
    updated = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "customers_importchunk"
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["run", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="import_chunk_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.seq} ({self.first_row}–{self.last_row})"


class ImportRowError(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=255, blank=True)
    value = models.CharField(_("值"), max_length=500, blank=True)
    code = models.CharField(_("错误代码"), max_length=40)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "customers_importrowerror"
        verbose_name = _("导入错误")
        verbose_name_plural = _("导入错误")
        ordering = ["run", "row", "id"]
        indexes = [models.Index(fields=["run", "row"], name="import_error_row_idx")]

    def __str__(self) -> str:
        return f"{self.row} {self.column}: {self.code}"
