"""The approval pages: 待我审批, the request lists, a request with its history and its
buttons, the user's delegations and a readable page of the flows. Reads through
``approvals.selectors``, writes through ``approvals.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.accounts.models import User
from guanxi.approvals import selectors, services
from guanxi.approvals.forms import DecisionForm, DelegationForm, ListFilterForm, WithdrawForm
from guanxi.approvals.models import ApprovalRequest
from guanxi.approvals.presentation import flow_rows, request_page
from guanxi.approvals.registry import document_type_label
from guanxi.core.db.paging import paginate
from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.core.forms import add_domain_errors

PAGE_SIZE = 25
INPUT_ERRORS = (ValidationFailed, Conflict, PermissionDenied)


def _page(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 10_000 else 1


@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """待我审批: the current steps the user may decide (as approver or substitute)."""
    page = paginate(
        selectors.pending_steps(actor=request.user), page=_page(request), size=PAGE_SIZE
    )
    for step in page.items:
        step.document_label = document_type_label(step.request.document_type)
    return render(request, "approvals/inbox.html", {"page": page, "tab": "pending"})


@require_GET
@staff_required
def request_list(request: HttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET)
    params = form.cleaned_data if form.is_valid() else {}
    box = params.get("box") or "submitted"
    qs = selectors.request_list(actor=request.user, box=box, state=params.get("state") or None)
    page = paginate(qs, page=params.get("page") or 1, size=PAGE_SIZE)
    for item in page.items:
        item.document_label = document_type_label(item.document_type)
    context = {"page": page, "tab": box, "state": params.get("state") or "", "form": form}
    return render(request, "approvals/request_list.html", context)


def _detail_context(request: HttpRequest, approval: ApprovalRequest) -> dict[str, Any]:
    capacity = selectors.capacity(actor=request.user, request=approval)
    return {
        "approval": approval,
        "page": request_page(approval),
        "capacity": capacity,
        "decision_form": DecisionForm(initial={"version": approval.version}),
        "withdraw_form": WithdrawForm(initial={"version": approval.version}),
    }


@require_GET
@staff_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    approval = selectors.request_get(actor=request.user, request_id=pk)
    return render(request, "approvals/request_detail.html", _detail_context(request, approval))


def _refused(
    request: HttpRequest, pk: int, exc: Exception, form_key: str, form: Any
) -> HttpResponse:
    """The request page again, fresh, with what went wrong shown on the form used."""
    approval = selectors.request_get(actor=request.user, request_id=pk)
    context = _detail_context(request, approval)
    if isinstance(exc, ValidationFailed | Conflict | PermissionDenied):
        add_domain_errors(form, exc)
    stale = isinstance(exc, Conflict)
    if stale:
        # The page below is the current state: the form must carry the current version.
        data = form.data.copy()
        data["version"] = str(approval.version)
        form.data = data
    context[form_key] = form
    context["refused"] = True
    status = 409 if stale else 403 if isinstance(exc, PermissionDenied) else 422
    return render(request, "approvals/request_detail.html", context, status=status)


@require_POST
@staff_required
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValidationFailed({}), "decision_form", form)
    decision = form.cleaned_data["decision"]
    try:
        services.approval_decide(
            actor=request.user,
            request_id=pk,
            decision=decision,
            comment=form.cleaned_data["comment"],
            version=form.cleaned_data["version"],
        )
    except INPUT_ERRORS as exc:
        return _refused(request, pk, exc, "decision_form", form)
    messages.success(request, _("已同意。") if decision == "approve" else _("已驳回。"))
    return redirect("approvals:detail", pk)


@require_POST
@staff_required
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValidationFailed({}), "withdraw_form", form)
    try:
        services.approval_withdraw(
            actor=request.user,
            request_id=pk,
            comment=form.cleaned_data["comment"],
            version=form.cleaned_data["version"],
        )
    except INPUT_ERRORS as exc:
        return _refused(request, pk, exc, "withdraw_form", form)
    messages.success(request, _("已撤回。"))
    return redirect("approvals:detail", pk)


@require_POST
@staff_required
def request_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    form = WithdrawForm(request.POST)  # only its version is used
    if not form.is_valid():
        return _refused(request, pk, ValidationFailed({}), "withdraw_form", form)
    try:
        services.approval_resubmit(
            actor=request.user, request_id=pk, version=form.cleaned_data["version"]
        )
    except INPUT_ERRORS as exc:
        return _refused(request, pk, exc, "withdraw_form", form)
    messages.success(request, _("已重新提交。"))
    return redirect("approvals:detail", pk)


def _people(request: HttpRequest) -> Any:
    return (
        permissions.users_visible_to(request.user, User.objects.all())
        .exclude(pk=request.user.pk or 0)
        .order_by("username")
    )


@require_http_methods(["GET", "POST"])
@staff_required
def delegation_list(request: HttpRequest) -> HttpResponse:
    """The user's delegations, and the form naming a substitute while away."""
    form = DelegationForm(request.POST or None, people=_people(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.delegation_create(
                    actor=request.user,
                    substitute_id=data["substitute"].pk,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    document_type=data["document_type"],
                    reason=data["reason"],
                )
            except INPUT_ERRORS as exc:
                add_domain_errors(form, exc, lambda name: name.removesuffix("_id"))
            else:
                messages.success(request, _("审批代理已设置。"))
                return redirect("approvals:delegations")
        status = 422
    rows: list[Any] = list(selectors.delegations(actor=request.user)[:100])
    for row in rows:
        row.document_label = (
            document_type_label(row.document_type) if row.document_type else _("全部单据类型")
        )
    context = {"form": form, "delegations": rows, "today": selectors.today(), "tab": "delegations"}
    return render(request, "approvals/delegations.html", context, status=status)


@require_POST
@staff_required
def delegation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.delegation_cancel(actor=request.user, delegation_id=pk)
    except (PermissionDenied, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("审批代理已取消。"))
    return redirect("approvals:delegations")


@require_GET
@staff_required
def flow_list(request: HttpRequest) -> HttpResponse:
    """Who approves what, in words (the definitions are edited in the admin)."""
    flows = list(selectors.flows(actor=request.user))
    context = {
        "flows": flow_rows(flows),
        "can_edit": permissions.can_manage_settings(request.user) and request.user.is_staff,
        "tab": "flows",
    }
    return render(request, "approvals/flows.html", context)
