"""Models of duplicate detection and merge (issue 3, A6). Imported by ``customers.models``,
so they belong to the ``customers`` app.

``DuplicateCandidate`` is derived data written by the scan (``duplicates.scan``): one row per
unordered pair of customers that look like the same party, stored with the smaller id first.
``CustomerMerge`` is the record of one merge and everything needed to undo it exactly; it
refers to customers by plain ids (like ``AuditEntry.customer_id``) because the merged-away
customer no longer exists and nothing may point at it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

__all__ = ["CandidateStatus", "CustomerMerge", "DuplicateCandidate", "DuplicateReason"]


class DuplicateReason(models.IntegerChoices):
    """Why two customers look alike; stored as bits of ``DuplicateCandidate.reason_mask``."""

    PHONE = 1, _("电话相同")
    EMAIL = 2, _("邮箱相同")
    NAME = 4, _("名称相同")
    NAME_PINYIN = 8, _("名称拼音相同")
    CONTACT_PHONE = 16, _("联系人电话相同")
    CONTACT_EMAIL = 32, _("联系人邮箱相同")
    # The same name while both phones and both e-mail addresses differ: two companies of
    # one name as often as one company (深圳华信科技有限公司 / 深圳华信科技股份有限公司).
    NAME_CONFLICTING = 64, _("名称相同，但电话和邮箱都不同")


#: Not a reason but a routing flag in ``reason_mask``, above every reason bit: the pair was
#: recorded by an import whose row matched a customer outside the uploader's scope. The
#: older customer (``customer_a``: ids grow, the match existed first) is that customer, and
#: whoever may see it — its owner first — reviews the pair, while the uploader, who may
#: see only his new customer, learns nothing of it.
OWNER_REVIEW: int = 256
assert all(reason < OWNER_REVIEW for reason in DuplicateReason.values)

REASON_CODES: dict[int, str] = {
    DuplicateReason.PHONE: "phone",
    DuplicateReason.EMAIL: "email",
    DuplicateReason.NAME: "name",
    DuplicateReason.NAME_PINYIN: "name_pinyin",
    DuplicateReason.CONTACT_PHONE: "contact_phone",
    DuplicateReason.CONTACT_EMAIL: "contact_email",
    DuplicateReason.NAME_CONFLICTING: "name_conflicting",
}


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DISMISSED = "dismissed", _("已忽略")


class DuplicateCandidate(models.Model):
    customer_a = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户甲"), on_delete=models.CASCADE, related_name="+"
    )
    customer_b = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户乙"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("相似度"))
    reason_mask = models.PositiveSmallIntegerField(_("原因"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(_("忽略时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("疑似重复客户")
        verbose_name_plural = _("疑似重复客户")
        constraints = [
            models.UniqueConstraint(
                fields=["customer_a", "customer_b"], name="dupcand_pair_unique"
            ),
            models.CheckConstraint(
                condition=Q(customer_a__lt=F("customer_b")), name="dupcand_pair_ordered"
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="dupcand_score_lte_100"),
        ]
        indexes = [models.Index(fields=["status", "-score", "id"], name="dupcand_queue_idx")]

    def __str__(self) -> str:
        return f"{self.customer_a_id} ~ {self.customer_b_id} ({self.score})"

    @property
    def reasons(self) -> list[str]:
        """Reason codes (``phone``, ``name``, …) in a fixed order."""
        return [code for bit, code in REASON_CODES.items() if self.reason_mask & bit]

    @property
    def reason_labels(self) -> list[Any]:
        return [DuplicateReason(bit).label for bit in REASON_CODES if self.reason_mask & bit]


class CustomerMerge(models.Model):
    """One merge of ``merged_id`` into ``survivor_id``: snapshots and the ids of every row
    that was moved or dropped, so ``duplicates.services.customer_merge_undo`` can put all of it
    back — the merged customer with the same id and fields, its rows, the survivor's fields."""

    survivor_id = models.BigIntegerField(_("保留客户编号"))
    merged_id = models.BigIntegerField(_("被合并客户编号"))
    survivor_name = models.CharField(_("保留客户"), max_length=200)
    merged_name = models.CharField(_("被合并客户"), max_length=200)
    # {field: customer id whose value survived}
    choices = models.JSONField(_("字段选择"), default=dict, blank=True)
    # Every concrete field of the merged customer (for the restore) and of the survivor
    # before the merge (its changed fields are put back by the undo).
    merged_snapshot = models.JSONField(default=dict)
    survivor_before = models.JSONField(default=dict)
    survivor_version_after = models.PositiveIntegerField()
    # {model label: {"field": fk attname, "rows": [[pk, version or null], ...]}}
    moved = models.JSONField(default=dict, blank=True)
    # {model label: [full row snapshots]} — rows of the merged customer that clashed with a
    # unique key of the survivor's (a preference with the same category and key, a tag both
    # had…): the survivor's row was kept, this one removed.
    dropped = models.JSONField(default=dict, blank=True)
    audit_ids = models.JSONField(default=list, blank=True)
    subject_ids = models.JSONField(default=list, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    reason_mask = models.PositiveSmallIntegerField(default=0)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150)
    created_at = models.DateTimeField(_("合并时间"), auto_now_add=True)
    undone_at = models.DateTimeField(_("撤销合并时间"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("客户合并记录")
        verbose_name_plural = _("客户合并记录")
        indexes = [
            models.Index(fields=["survivor_id", "-created_at"], name="merge_survivor_idx"),
            models.Index(fields=["merged_id"], name="merge_merged_idx"),
            models.Index(fields=["-created_at"], name="merge_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_name} → {self.survivor_name}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None

    @property
    def moved_counts(self) -> dict[str, int]:
        return {label: len(entry["rows"]) for label, entry in self.moved.items()}

    @property
    def moved_summary(self) -> list[tuple[str, int]]:
        """(what, how many) of the moved records, for people: "联系人 3"."""
        from django.apps import apps

        out = []
        for label, n in self.moved_counts.items():
            try:
                model = apps.get_model(label)
            except LookupError:
                out.append((label, n))
                continue
            name = _("标签") if model._meta.auto_created else model._meta.verbose_name
            out.append((str(name), n))
        return out
