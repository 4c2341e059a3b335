"""Project pages of the risk register and the closure (issue 15 items 4, 6): the "风险" tab
(5×5 heat map whose cells filter the list, the risks, the contingency reserve, a risk's
form with its draws), the "结项" tab (closure form, the record, lessons, the customer's
evaluation) and the lessons-learned search across projects. Reads through
``selectors_risks``, writes through ``services.risks`` / ``services.closure``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts.decorators import staff_required
from guanxi.core.db.paging import paginate
from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.projects import selectors, selectors_risks
from guanxi.projects.models import (
    RISK_SCALE,
    LessonCategory,
    RiskCategory,
    RiskStatus,
)
from guanxi.projects.services import closure as closure_services
from guanxi.projects.services import risks as services

RISKS = "projects/risks.html"
RISK_FORM = "projects/risk_form.html"
CLOSURE = "projects/closure.html"
LESSONS = "projects/lessons.html"
RISK_POST_FIELDS = (
    "title", "description", "category", "probability", "impact", "owner_id", "triggers",
    "mitigation", "contingency_plan", "contingency_budget", "status", "review_date",
)  # fmt: skip


def _may_use(request: HttpRequest) -> None:
    if not selectors.can_use(request.user):
        raise DjangoPermissionDenied


def _level(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if number in RISK_SCALE else None


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**63 - 1 else None


def _error_text(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "；".join(m for msgs in exc.errors.values() for m in msgs)
    return exc.message


def _risk_data(request: HttpRequest) -> dict[str, Any]:
    return {name: request.POST.get(name, "") for name in RISK_POST_FIELDS if name in request.POST}


# --- risks ---------------------------------------------------------------------------------


def _risks_context(request: HttpRequest, project: Any) -> dict[str, Any]:
    probability = _level(request.GET.get("p"))
    impact = _level(request.GET.get("i"))
    status = request.GET.get("status", "")
    status = status if status in RiskStatus.values else ""
    risks = selectors_risks.risk_list(
        project=project, status=status, probability=probability, impact=impact
    )
    return {
        "project": project,
        "tab": "risks",
        "heat": selectors_risks.heat_map(project=project),
        "scale": RISK_SCALE,
        "risks": list(risks[:200]),
        "reserve": selectors_risks.reserve_summary(project=project),
        "p": probability,
        "i": impact,
        "status": status,
        "statuses": RiskStatus.choices,
        "categories": RiskCategory.choices,
        "users": selectors.assignable_users(project=project),
        "can_change": selectors.can_change(request.user, project),
        "values": {},
    }


@require_http_methods(["GET", "POST"])
@staff_required
def risks(request: HttpRequest, pk: int) -> HttpResponse:
    """The risk tab; a POST adds a risk."""
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    if request.method == "POST":
        try:
            risk = services.risk_create(actor=request.user, project_id=pk, data=_risk_data(request))
        except DomainError as exc:
            context = _risks_context(request, project)
            context["error"] = _error_text(exc)
            context["values"] = request.POST
            return render(request, RISKS, context, status=exc.status)
        messages.success(request, _("已登记风险 R%(number)s。") % {"number": risk.number})
        return redirect("projects:risks", pk)
    return render(request, RISKS, _risks_context(request, project))


def _risk_form_context(request: HttpRequest, project: Any, risk: Any) -> dict[str, Any]:
    return {
        "project": project,
        "tab": "risks",
        "risk": risk,
        "draws": list(selectors_risks.risk_draws(risk=risk)),
        "statuses": RiskStatus.choices,
        "categories": RiskCategory.choices,
        "scale": RISK_SCALE,
        "users": selectors.assignable_users(project=project),
        "can_change": selectors.can_change(request.user, project),
    }


@require_http_methods(["GET", "POST"])
@staff_required
def risk_edit(request: HttpRequest, pk: int, risk_id: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    risk = selectors_risks.risk_get(project=project, risk_id=risk_id)
    if request.method == "POST":
        try:
            services.risk_update(
                actor=request.user, project_id=pk, risk_id=risk_id, data=_risk_data(request),
                version=_int(request.POST.get("version")),
            )  # fmt: skip
        except DomainError as exc:
            context = _risk_form_context(request, project, risk)
            context["error"] = _error_text(exc)
            return render(request, RISK_FORM, context, status=exc.status)
        messages.success(request, _("已保存。"))
        return redirect("projects:risk_edit", pk, risk_id)
    return render(request, RISK_FORM, _risk_form_context(request, project, risk))


@require_POST
@staff_required
def risk_draw(request: HttpRequest, pk: int, risk_id: int) -> HttpResponse:
    _may_use(request)
    try:
        services.reserve_draw(
            actor=request.user, project_id=pk, risk_id=risk_id,
            amount=request.POST.get("amount", ""), date=request.POST.get("date", ""),
            note=request.POST.get("note", ""),
        )  # fmt: skip
    except DomainError as exc:
        project = selectors.project_get(actor=request.user, project_id=pk)
        risk = selectors_risks.risk_get(project=project, risk_id=risk_id)
        context = _risk_form_context(request, project, risk)
        context["error"] = _error_text(exc)
        return render(request, RISK_FORM, context, status=exc.status)
    messages.success(request, _("已记录储备动用。"))
    return redirect("projects:risk_edit", pk, risk_id)


# --- closure -------------------------------------------------------------------------------


def _closure_context(request: HttpRequest, project: Any) -> dict[str, Any]:
    return {
        "project": project,
        "tab": "closure",
        "closure": selectors_risks.closure_get(project=project),
        "csat": selectors.phase_csat(gates=selectors.gates(project=project)),
        "lessons": list(
            selectors_risks.lesson_search(actor=request.user).filter(project=project)[:200]
        ),
        "open_tasks": selectors_risks.open_task_count(project=project),
        "lesson_categories": LessonCategory.choices,
        "can_change": selectors.can_change(request.user, project),
        "values": {},
    }


def _closure_write(request: HttpRequest, pk: int, write: Any, done: str) -> HttpResponse:
    _may_use(request)
    try:
        write()
    except DomainError as exc:
        project = selectors.project_get(actor=request.user, project_id=pk)
        context = _closure_context(request, project)
        context["error"] = _error_text(exc)
        context["values"] = request.POST
        return render(request, CLOSURE, context, status=exc.status)
    messages.success(request, done)
    return redirect("projects:closure", pk)


@require_http_methods(["GET", "POST"])
@staff_required
def closure(request: HttpRequest, pk: int) -> HttpResponse:
    """The closure tab; a POST closes the project (with lessons and the evaluation)."""
    _may_use(request)
    if request.method == "GET":
        project = selectors.project_get(actor=request.user, project_id=pk)
        return render(request, CLOSURE, _closure_context(request, project))
    post = request.POST
    lessons = [
        {"category": category, "text": post.get(name, "")}
        for category, name in (("went_well", "went_well"), ("to_change", "to_change"))
        if post.get(name, "").strip()
    ]
    score = post.get("evaluation_score", "").strip()
    evaluation = {"score": score, "comment": post.get("evaluation_comment", "")} if score else None
    return _closure_write(
        request, pk,
        lambda: closure_services.close_project(
            actor=request.user, project_id=pk, summary=post.get("summary", ""),
            lessons=lessons, evaluation=evaluation, force_reason=post.get("force_reason", ""),
            version=_int(post.get("version")),
        ),
        _("项目已结项，已为客户经理安排回访。"),
    )  # fmt: skip


@require_POST
@staff_required
def closure_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _closure_write(
        request, pk,
        lambda: closure_services.closure_evaluate(
            actor=request.user, project_id=pk, score=post.get("evaluation_score", ""),
            comment=post.get("evaluation_comment", ""),
        ),
        _("已记录客户评价。"),
    )  # fmt: skip


@require_POST
@staff_required
def lesson_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _closure_write(
        request, pk,
        lambda: services.lesson_add(
            actor=request.user, project_id=pk, category=post.get("category", ""),
            text=post.get("text", ""), tags=post.get("tags", ""),
        ),
        _("已添加经验教训。"),
    )  # fmt: skip


# --- lessons across projects ---------------------------------------------------------------


@require_GET
@staff_required
def lessons(request: HttpRequest) -> HttpResponse:
    _may_use(request)
    query = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "")
    category = category if category in LessonCategory.values else ""
    try:
        page_number = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page_number = 1
    page = paginate(
        selectors_risks.lesson_search(actor=request.user, query=query, category=category),
        page=page_number,
        size=25,
    )
    return render(
        request,
        LESSONS,
        {"page": page, "q": query, "category": category, "categories": LessonCategory.choices},
    )
