"""The contract pages: the list, a new contract, the contract page (terms, approval,
payment plan, collections, invoices, amendments, attachments) and receivables (aging
chart, overdue list). Reads through ``contracts.selectors``, writes through
``contracts.services``; a refused write comes back on its form (422)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.attachments.panels import panel_context as attachments_context
from guanxi.contracts import selectors
from guanxi.contracts.forms import (
    AmendmentForm,
    CollectionForm,
    ContractEditForm,
    ContractForm,
    InvoiceRequestForm,
    InvoiceTitleForm,
    IssueForm,
    MailForm,
    PlanSplitForm,
)
from guanxi.contracts.models import ContractStatus, InvoiceStatus
from guanxi.contracts.services import collections as collection_services
from guanxi.contracts.services import contracts as services
from guanxi.contracts.services import invoices as invoice_services
from guanxi.contracts.services import plans
from guanxi.core.actions import render_record_actions
from guanxi.core.db.paging import paginate
from guanxi.core.errors import Conflict, DomainError
from guanxi.core.forms import add_domain_errors

LIST = "contracts/contract_list.html"
DETAIL = "contracts/contract_detail.html"
NEW = "contracts/contract_form.html"
RECEIVABLES = "contracts/receivables.html"
AGING_ROWS = 500  # groups shown on the receivables page, largest open amount first


def _may_use(request: HttpRequest) -> None:
    if not selectors.can_use(request.user):
        raise DjangoPermissionDenied


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


@require_GET
@staff_required
def contract_list(request: HttpRequest) -> HttpResponse:
    _may_use(request)
    status = request.GET.get("status", "")
    status = status if status in ContractStatus.values else ""
    q = request.GET.get("q", "")[:100]
    qs = selectors.contract_list(actor=request.user, status=status, q=q)
    page = paginate(qs, page=_page_number(request), size=25)
    return render(
        request, LIST, {"page": page, "status": status, "q": q, "statuses": ContractStatus.choices}
    )


@require_http_methods(["GET", "POST"])
@staff_required
def contract_new(request: HttpRequest) -> HttpResponse:
    _may_use(request)
    if request.method == "GET":
        form = ContractForm(initial={"customer": request.GET.get("customer", "")[:20]})
        return render(request, NEW, {"form": form})
    form = ContractForm(request.POST)
    if form.is_valid():
        try:
            contract = services.contract_create(
                actor=request.user,
                customer_id=form.cleaned_data["customer"],
                data=form.service_data(),
            )
        except DomainError as exc:
            add_domain_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            messages.success(request, _("合同 %(number)s 已创建。") % {"number": contract.number})
            return redirect("contracts:detail", contract.pk)
    return render(request, NEW, {"form": form}, status=422)


def _detail_context(request: HttpRequest, contract: Any, **bound: Any) -> dict[str, Any]:
    can_change = selectors.can_change(request.user, contract)
    version = {"version": contract.version}
    editable = contract.is_editable and can_change
    binding = contract.status in ("approved", "active", "finished") and can_change
    terms = {k: getattr(contract, k) for k in ("title", "amount", "start_date", "end_date")}
    forms_: dict[str, forms.Form] = {
        "edit_form": ContractEditForm(
            initial={**version, **terms, "signed_on": contract.signed_on, "notes": contract.notes}
        ),
        "plan_form": PlanSplitForm(initial={**version, "first_due": contract.start_date}),
        "collection_form": CollectionForm(),
        "title_form": InvoiceTitleForm(),
        "invoice_form": InvoiceRequestForm(),
        "amendment_form": AmendmentForm(initial={**version, **terms}),
    }
    forms_.update(bound)
    invoices = list(selectors.invoices(contract=contract))
    return {
        "contract": contract,
        "can_change": can_change,
        "editable": editable,
        "binding": binding,
        "instalments": list(selectors.instalments(contract=contract)),
        "collections": list(selectors.collections(contract=contract)[:100]),
        "invoices": [
            (i, IssueForm(initial={"version": i.version}), MailForm(initial={"version": i.version}))
            for i in invoices
        ],
        "titles": list(
            selectors.invoice_titles(actor=request.user, customer_id=contract.customer_id)
        ),
        "amendments": list(contract.amendments.order_by("-revision")),
        "next_statuses": [
            (s, label)
            for s, label in ContractStatus.choices
            if s in services.TRANSITIONS.get(contract.status, frozenset())
        ],
        "InvoiceStatus": InvoiceStatus,
        # Buttons other apps add (projects: "create delivery project").
        "record_actions": render_record_actions(request, contract),
        **forms_,
        **attachments_context(
            actor=request.user, kind="contract", record=contract, can_change=can_change
        ),
    }


@require_GET
@staff_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    contract = selectors.contract_get(actor=request.user, contract_id=pk)
    return render(request, DETAIL, _detail_context(request, contract))


def _post(
    request: HttpRequest,
    pk: int,
    form_name: str,
    form: forms.Form,
    write: Callable[[dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """Validate ``form``, run ``write`` with its data; on success back to the contract
    page, else the page again with the errors on the form (a stale version: a message)."""
    if form.is_valid():
        try:
            write(dict(form.cleaned_data))
        except Conflict as exc:
            messages.error(
                request,
                _("该合同刚被他人修改，下面已是最新状态；请确认后再操作。")
                if exc.field == "version"
                else exc.message,
            )
            return redirect("contracts:detail", pk)
        except DomainError as exc:
            add_domain_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            messages.success(request, done)
            return redirect("contracts:detail", pk)
    contract = selectors.contract_get(actor=request.user, contract_id=pk)
    return render(
        request, DETAIL, _detail_context(request, contract, **{form_name: form}), status=422
    )


@require_POST
@staff_required
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    form = ContractEditForm(request.POST)

    def write(data: dict[str, Any]) -> Any:
        version = data.pop("version")
        return services.contract_update(
            actor=request.user, contract_id=pk, data=data, version=version
        )

    return _post(request, pk, "edit_form", form, write, _("合同已保存。"))


@require_POST
@staff_required
def contract_submit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    form = ContractEditForm(request.POST)
    form.fields = {"version": form.fields["version"]}
    return _post(
        request,
        pk,
        "edit_form",
        form,
        lambda d: services.contract_submit(
            actor=request.user, contract_id=pk, version=d["version"]
        ),
        _("合同已提交审批。"),
    )


@require_POST
@staff_required
def contract_transition(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    form = ContractEditForm(request.POST)
    form.fields = {"version": form.fields["version"]}
    status = request.POST.get("status", "")
    return _post(
        request,
        pk,
        "edit_form",
        form,
        lambda d: services.contract_transition(
            actor=request.user, contract_id=pk, status=status, version=d["version"]
        ),
        _("合同状态已更新。"),
    )


@require_POST
@staff_required
def plan_split(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    form = PlanSplitForm(request.POST)

    def write(data: dict[str, Any]) -> Any:
        contract = selectors.contract_get(actor=request.user, contract_id=pk)
        rows = plans.split_plan(
            amount=contract.amount,
            count=data["count"],
            first_due=data["first_due"],
            every_months=data["every_months"],
            method=data["method"],
        )
        return plans.plan_set(
            actor=request.user, contract_id=pk, rows=rows, version=data["version"]
        )

    return _post(request, pk, "plan_form", form, write, _("回款计划已保存。"))


@require_POST
@staff_required
def collection_add(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    return _post(
        request,
        pk,
        "collection_form",
        CollectionForm(request.POST),
        lambda d: collection_services.collection_create(actor=request.user, contract_id=pk, data=d),
        _("回款已登记。"),
    )


@require_POST
@staff_required
def invoice_title_add(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    contract = selectors.contract_get(actor=request.user, contract_id=pk)
    return _post(
        request,
        pk,
        "title_form",
        InvoiceTitleForm(request.POST),
        lambda d: invoice_services.invoice_title_create(
            actor=request.user, customer_id=contract.customer_id, data=d
        ),
        _("发票抬头已添加。"),
    )


@require_POST
@staff_required
def invoice_request(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)

    def write(data: dict[str, Any]) -> Any:
        return invoice_services.invoice_request_create(
            actor=request.user,
            contract_id=pk,
            title_id=data["title"],
            amount=data["amount"],
            tax_rate=data["tax_rate"],
            kind=data["kind"],
        )

    return _post(
        request,
        pk,
        "invoice_form",
        InvoiceRequestForm(request.POST),
        write,
        _("开票申请已提交审批。"),
    )


@require_POST
@staff_required
def invoice_issue(request: HttpRequest, pk: int, invoice_id: int) -> HttpResponse:
    _may_use(request)
    return _post(
        request,
        pk,
        "issue_form",
        IssueForm(request.POST),
        lambda d: invoice_services.invoice_issue(
            actor=request.user,
            invoice_id=invoice_id,
            invoice_number=d["invoice_number"],
            issued_on=None,
            version=d["version"],
        ),
        _("已登记开票。"),
    )


@require_POST
@staff_required
def invoice_mail(request: HttpRequest, pk: int, invoice_id: int) -> HttpResponse:
    _may_use(request)
    return _post(
        request,
        pk,
        "mail_form",
        MailForm(request.POST),
        lambda d: invoice_services.invoice_mail(
            actor=request.user,
            invoice_id=invoice_id,
            tracking_number=d["tracking_number"],
            version=d["version"],
        ),
        _("已登记寄出。"),
    )


@require_POST
@staff_required
def amendment_add(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)

    def write(data: dict[str, Any]) -> Any:
        version = data.pop("version")
        return services.amendment_create(
            actor=request.user, contract_id=pk, data=data, version=version
        )

    return _post(
        request, pk, "amendment_form", AmendmentForm(request.POST), write, _("合同变更已提交审批。")
    )


@require_GET
@staff_required
def receivables(request: HttpRequest) -> HttpResponse:
    _may_use(request)
    group_by = request.GET.get("group_by", "customer")
    if group_by not in selectors.GROUPS:
        raise Http404
    # The groups with the largest open amounts (the totals and the count cover all of
    # them); the export lists every group.
    aging = selectors.aging_page(actor=request.user, group_by=group_by, limit=AGING_ROWS)
    totals = aging.totals
    labels = selectors.bucket_labels()
    chart = {
        "buckets": [str(labels[k]) for k in labels],
        "values": [str(totals[k]) for k in labels],
    }
    overdue = paginate(
        selectors.overdue_list(actor=request.user), page=_page_number(request), size=25
    )
    return render(
        request,
        RECEIVABLES,
        {
            "rows": aging.rows,
            "row_count": aging.count,
            "totals": totals,
            "labels": labels,
            "group_by": group_by,
            "grand_total": aging.total,
            "chart": chart,
            "overdue": overdue,
            "groups": [("customer", _("按客户")), ("owner", _("按负责人")), ("team", _("按部门"))],
            "can_export": permissions.can_export(request.user),
            "export_query": f"group_by={group_by}",
        },
    )
