"""Writes of the risk register (SPEC E5): risks with probability × impact and a contingency
plan (应急预案), draws on its reserve, risks raised by the CRM signal rules, and the
lessons learned of a project (E8).

Every write locks the project row first (``plan.project_lock``: 404 out of scope, 403
when the actor may not change the project), so numbers are handed out one at a time and a
draw sees the reserve the previous one left. A draw beyond what is left of the reserve is
refused naming ``amount`` (the database refuses it too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.core.money import parse_money
from guanxi.core.text.pinyin import search_text
from guanxi.core.writes import check_version, reject_unknown
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add
from guanxi.projects.models import (
    LessonCategory,
    LessonLearned,
    Project,
    Risk,
    RiskCategory,
    RiskReserveDraw,
    RiskSignal,
    RiskStatus,
)
from guanxi.projects.services.plan import _date, _int_in, _text, project_lock

__all__ = [
    "RISK_FIELDS",
    "lesson_add",
    "lesson_create",
    "reserve_draw",
    "risk_create",
    "risk_raise_from_signal",
    "risk_update",
]

RISK_FIELDS = frozenset(
    {"title", "description", "category", "probability", "impact", "owner_id", "triggers",
     "mitigation", "contingency_plan", "contingency_budget", "status", "review_date"}
)  # fmt: skip
_TEXTS = (
    ("title", 200),
    ("description", 4000),
    ("triggers", 2000),
    ("mitigation", 4000),
    ("contingency_plan", 4000),
)


def _owner(value: Any) -> int | None:
    if value is None or value == "":
        return None
    user_id = _int_in(value, "owner_id", 1, MAX_ID)
    if not User.objects.filter(pk=user_id, is_active=True).exclude(role="portal").exists():
        raise ValidationFailed({"owner_id": _("该用户不存在。")})
    return user_id


def _apply(risk: Risk, data: Mapping[str, Any]) -> None:
    """Validate ``data`` onto ``risk``, every bad field named at once."""
    reject_unknown(data, RISK_FIELDS)
    errors: dict[str, str] = {}

    def collect(check: Any) -> None:
        try:
            check()
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.errors.items()})

    for name, length in _TEXTS:

        def text(name: str = name, length: int = length) -> None:
            value = _text(data, name, length, required=name == "title" and risk.pk is None)
            if value is not None:
                if name == "title" and not value:
                    raise ValidationFailed({"title": _("这个字段是必填项。")})
                setattr(risk, name, value)

        collect(text)
    for scale in ("probability", "impact"):
        if scale in data:

            def level(scale: str = scale) -> None:
                setattr(risk, scale, _int_in(data[scale], scale, 1, 5))

            collect(level)
    if "category" in data:
        if data["category"] not in RiskCategory.values:
            errors["category"] = _("无效的选项。")
        else:
            risk.category = data["category"]
    if "status" in data:
        if data["status"] not in RiskStatus.values:
            errors["status"] = _("无效的选项。")
        else:
            risk.status = data["status"]
    if "owner_id" in data:
        collect(lambda: setattr(risk, "owner_id", _owner(data["owner_id"])))
    if "review_date" in data:
        collect(lambda: setattr(risk, "review_date", _date(data["review_date"], "review_date")))
    if "contingency_budget" in data:

        def budget() -> None:
            value = parse_money(data["contingency_budget"] or 0, "contingency_budget")
            if value < risk.reserve_used:
                raise ValidationFailed(
                    {
                        "contingency_budget": _("应急预算不能低于已动用的储备（%(used)s）。")
                        % {"used": f"{risk.reserve_used:.2f}"}
                    }
                )
            risk.contingency_budget = value

        collect(budget)
    if errors:
        raise ValidationFailed(errors)
    risk.score = risk.probability * risk.impact


def _next_number(project: Project) -> int:
    top = Risk.objects.filter(project=project).aggregate(top=Max("number"))["top"]
    return int(top or 0) + 1


def _risk_of(project: Project, risk_id: Any) -> Risk:
    if isinstance(risk_id, bool) or not isinstance(risk_id, int) or not 1 <= risk_id <= MAX_ID:
        raise NotFound(_("风险不存在。"), field="risk_id")
    risk = Risk.objects.select_for_update().filter(project=project, pk=risk_id).first()
    if risk is None:
        raise NotFound(_("风险不存在。"), field="risk_id")
    return risk


def _timeline(risk: Risk, project: Project, actor: Any, msgid: str) -> None:
    timeline_add(
        customer_id=project.customer_id,
        kind="project",
        occurred_at=timezone.now(),
        title=TimelineText(
            msgid,
            {
                "name": project.name,
                "risk": risk.title,
                "signal": ChoiceLabel.of(risk, "signal") if risk.signal else "",
            },
        ),
        body=risk.signal_text,
        actor=actor,
        subject=project,
        data={"risk": risk.pk, "signal": risk.signal, "status": risk.status},
    )


@transaction.atomic
def risk_create(*, actor: Any, project_id: Any, data: Mapping[str, Any]) -> Risk:
    project = project_lock(actor, project_id)
    risk = Risk(project=project, created_by=actor)
    _apply(risk, data)
    risk.number = _next_number(project)
    risk.save()
    audit.audit_create(actor=actor, obj=risk, customer_id=project.customer_id)
    return risk


@transaction.atomic
def risk_update(
    *, actor: Any, project_id: Any, risk_id: Any, data: Mapping[str, Any], version: int | None
) -> Risk:
    """Edit a risk (a stale ``version`` is a 409). Reopening a signal-raised risk while
    another open one of the same signal exists is refused naming ``status``."""
    project = project_lock(actor, project_id)
    risk = _risk_of(project, risk_id)
    check_version(risk, version)
    before = audit.snapshot(risk)
    _apply(risk, data)
    changes = audit.diff(before, audit.snapshot(risk, before.keys()))
    if not changes:
        return risk
    risk.version += 1
    try:
        with transaction.atomic():
            risk.save()
    except IntegrityError:
        raise ValidationFailed(
            {"status": _("该信号已有一条未关闭的风险，不能重新打开这一条。")}
        ) from None
    audit.audit_update(actor=actor, obj=risk, before=before, customer_id=project.customer_id)
    if "status" in changes and risk.status == RiskStatus.OCCURRED:
        _timeline(risk, project, actor, gettext_noop("项目 %(name)s 的风险已发生：%(risk)s"))
    return risk


@transaction.atomic
def reserve_draw(
    *,
    actor: Any,
    project_id: Any,
    risk_id: Any,
    amount: Any,
    date: Any = None,
    note: Any = "",
) -> RiskReserveDraw:
    """Take ``amount`` from the risk's contingency reserve; never more than is left."""
    project = project_lock(actor, project_id)
    risk = _risk_of(project, risk_id)
    value = parse_money(amount, "amount", positive=True)
    left = risk.contingency_budget - risk.reserve_used
    if value > left:
        raise ValidationFailed(
            {
                "amount": _("超出应急储备余额：预算 %(budget)s，已动用 %(used)s，剩余 %(left)s。")
                % {
                    "budget": f"{risk.contingency_budget:.2f}",
                    "used": f"{risk.reserve_used:.2f}",
                    "left": f"{left:.2f}",
                }
            }
        )
    day = _date(date, "date") or timezone.localdate()
    text = _text({"note": note or ""}, "note", 500, required=False) or ""
    draw = RiskReserveDraw.objects.create(
        risk=risk, amount=value, date=day, note=text, created_by=actor
    )
    before = audit.snapshot(risk, ["reserve_used"])
    risk.reserve_used = risk.reserve_used + value
    risk.version += 1
    risk.save(update_fields=["reserve_used", "version", "updated_at"])
    audit.audit_create(actor=actor, obj=draw, customer_id=project.customer_id)
    audit.audit_update(actor=actor, obj=risk, before=before, customer_id=project.customer_id)
    return draw


def risk_raise_from_signal(
    *, project: Project, signal: str, text: str, today: dt.date
) -> Risk | None:
    """The risk a CRM signal rule raises on ``project`` (written by no user), or ``None``
    when an open one of that signal is there already. Called by the scheduled sweep
    (``projects.risk_signals``) inside its transaction, with ``project`` locked."""
    if signal not in RiskSignal.values:
        raise ValueError(f"unknown risk signal {signal!r}")
    if Risk.objects.filter(project=project, signal=signal).exclude(status="closed").exists():
        return None
    label = str(RiskSignal(signal).label)
    risk = Risk(
        project=project,
        number=_next_number(project),
        title=label[:200],
        category=RiskCategory.CUSTOMER,
        probability=3,
        impact=3,
        score=9,
        owner_id=project.manager_id,
        signal=signal,
        signal_text=text[:300],
        review_date=today + dt.timedelta(days=7),
    )
    try:
        with transaction.atomic():
            risk.save()
    except IntegrityError:  # another worker raised it first
        return None
    audit.audit_create(actor=None, obj=risk, customer_id=project.customer_id)
    _timeline(risk, project, None, gettext_noop("项目 %(name)s 识别到风险（%(signal)s）：%(risk)s"))
    return risk


MAX_TAGS = 200


@transaction.atomic
def lesson_add(
    *, actor: Any, project_id: Any, category: Any, text: Any, tags: Any = ""
) -> LessonLearned:
    """A lesson learned (what went well, what to change) on the project."""
    project = project_lock(actor, project_id)
    return lesson_create(actor=actor, project=project, category=category, text=text, tags=tags)


def lesson_create(
    *, actor: Any, project: Project, category: Any, text: Any, tags: Any = ""
) -> LessonLearned:
    """``lesson_add`` for a caller that holds the project's lock already (the closure)."""
    errors: dict[str, str] = {}
    if category not in LessonCategory.values:
        errors["category"] = _("无效的选项。")
    body = tag_text = ""
    try:
        body = _text({"text": text}, "text", 4000, required=True) or ""
    except ValidationFailed as exc:
        errors.update({k: v[0] for k, v in exc.errors.items()})
    try:
        raw = _text({"tags": tags if tags is not None else ""}, "tags", MAX_TAGS, required=False)
        tag_text = ", ".join(
            t.strip() for t in (raw or "").replace("，", ",").split(",") if t.strip()
        )
    except ValidationFailed as exc:
        errors.update({k: v[0] for k, v in exc.errors.items()})
    if len(tag_text) > MAX_TAGS:
        errors["tags"] = _("不能超过 %(max)s 个字符。") % {"max": MAX_TAGS}
    if errors:
        raise ValidationFailed(errors)
    lesson = LessonLearned.objects.create(
        project=project,
        category=category,
        text=body,
        tags=tag_text,
        search_text=search_text(body[:1000], tag_text, project.name),
        created_by=actor,
    )
    audit.audit_create(actor=actor, obj=lesson, customer_id=project.customer_id)
    return lesson
