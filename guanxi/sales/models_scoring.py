"""The win-probability model (赢率模型) of ``guanxi.sales.scoring``: one row per training run,
the newest one scores. Everything a score needs is plain JSON here — the feature names, the
logistic regression's coefficients and intercept, the standardisation of each feature and
the history statistics the features are computed against (medians, owners' win rates) — so
scoring needs neither scikit-learn nor pickle."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WinModel(models.Model):
    trained_at = models.DateTimeField(_("训练时间"), auto_now_add=True)
    #: the closed (won + lost) opportunities it learned from, and how many of them were won
    closed_count = models.PositiveIntegerField(_("已关闭商机数"))
    won_count = models.PositiveIntegerField(_("赢单数"))
    features = models.JSONField(_("特征"), default=list)
    coefficients = models.JSONField(_("系数"), default=list)
    intercept = models.FloatField(_("截距"), default=0.0)
    #: the mean and the standard deviation of each feature over the training rows
    means = models.JSONField(default=list)
    scales = models.JSONField(default=list)
    #: what features are computed against: ``median_amount`` per pipeline id, ``owners``
    #: (owner id → [won, closed]), ``global_rate``, ``won_age_median`` (days)
    stats = models.JSONField(default=dict)
    #: how well it fits its own history: ``auc``, ``accuracy``
    metrics = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("赢率模型")
        verbose_name_plural = _("赢率模型")
        ordering = ["-trained_at", "-id"]
        indexes = [models.Index(fields=["-trained_at", "-id"], name="winmodel_recent_idx")]

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d %H:%M} ({self.closed_count})"
