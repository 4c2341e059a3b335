"""The quote pages: the list, a new quote from an opportunity, the quote with its lines
(edited in place with htmx: every change re-renders the ``page`` partial, so totals,
actions and versions stay in step), the actions along its way and the PDF download.
Reads through ``selectors_quotes``, writes through ``services.quotes``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts.decorators import staff_required
from guanxi.contracts import selectors_quotes as selectors
from guanxi.contracts.forms_quotes import LineEditForm, LineForm, QuoteEditForm, QuoteForm
from guanxi.contracts.models import QuoteStatus
from guanxi.contracts.pdf import render_quote_pdf
from guanxi.contracts.services import quotes as services
from guanxi.core.db.paging import paginate
from guanxi.core.errors import Conflict, DomainError, ValidationFailed
from guanxi.core.forms import VersionForm, add_domain_errors
from guanxi.core.htmx import htmx
from guanxi.sales import selectors as sales_selectors

LIST = "contracts/quote_list.html"
DETAIL = "contracts/quote_detail.html"
NEW = "contracts/quote_form.html"
PAGE_SIZE = 25
STALE = gettext_lazy("该报价单刚被他人修改，下面已是最新状态；请确认后再操作。")
ACTIONS = {
    "submit": (services.quote_submit, gettext_lazy("已提交折扣审批。")),
    "send": (services.quote_send, gettext_lazy("报价单已发送。")),
    "accept": (services.quote_accept, gettext_lazy("已记录：客户接受报价。")),
    "reject": (services.quote_reject, gettext_lazy("已记录：客户拒绝报价。")),
    "revise": (services.quote_revise, gettext_lazy("已创建新版本。")),
}


@require_GET
@staff_required
def quote_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in QuoteStatus.values:
        status = ""
    qs = selectors.quote_list(actor=request.user, status=status)
    try:
        offset = max(0, (int(request.GET.get("page", "1")) - 1) * PAGE_SIZE)
    except ValueError:
        offset = 0
    page = paginate(qs, size=PAGE_SIZE, offset=min(offset, 1_000_000))
    return render(request, LIST, {"page": page, "status": status, "statuses": QuoteStatus.choices,
                                  "active": "quotes"})  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def quote_new(request: HttpRequest) -> HttpResponse:
    opportunity = sales_selectors.opportunity_get(
        actor=request.user, opportunity_id=request.GET.get("opportunity")
    )
    initial = {"title": opportunity.name, "valid_until": services.default_valid_until()}
    form = QuoteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.quote_create(actor=request.user, opportunity_id=opportunity.pk,
                                          **form.cleaned_data)  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("报价单已创建，请添加产品。"))
            return redirect("contracts:quote_detail", quote.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, NEW, {"form": form, "opportunity": opportunity}, status=status)


def _context(request: HttpRequest, quote: Any, **forms: Any) -> dict[str, Any]:
    can_change = quote.editable and selectors.can_change_quote(request.user, quote)
    lines = selectors.lines_of(quote=quote)
    products = list(selectors.quotable_products(actor=request.user)) if can_change else []
    return {
        "quote": quote,
        "lines": lines,
        "line_form": forms.get("line_form")
        or LineForm(initial={"version": quote.version}, products=products),
        "edit_form": forms.get("edit_form")
        or QuoteEditForm(initial={"version": quote.version, "title": quote.title,
                                  "valid_until": quote.valid_until, "note": quote.note}),
        "line_error": forms.get("line_error"),
        "can_change": can_change,
        "may_act": selectors.can_change_quote(request.user, quote),
        "limit": selectors.discount_limit(request.user),
        "needs_approval": selectors.needs_approval(request.user, quote),
        "approval": selectors.approval_of(quote=quote),
        "revisions": selectors.revisions_of(actor=request.user, quote=quote),
        "active": "quotes",
    }  # fmt: skip


def _page(request: HttpRequest, pk: int, status: int = 200, **forms: Any) -> HttpResponse:
    quote = selectors.quote_get(actor=request.user, quote_id=pk)
    template = f"{DETAIL}#page" if htmx(request) else DETAIL
    return render(request, template, _context(request, quote, **forms), status=status)


@require_GET
@staff_required
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)


@require_POST
@staff_required
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    form = QuoteEditForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.quote_update(actor=request.user, quote_id=pk, version=version, data=data)
        except DomainError as exc:
            if isinstance(exc, Conflict) and exc.field == "version":
                messages.error(request, STALE)
                return redirect("contracts:quote_detail", pk)
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("报价单已保存。"))
            return redirect("contracts:quote_detail", pk)
    return _page(request, pk, 422, edit_form=form)


def _line_done(request: HttpRequest, pk: int, exc: DomainError | None) -> HttpResponse:
    if exc is None:
        return _page(request, pk)
    if isinstance(exc, Conflict) and exc.field == "version":
        return _page(request, pk, 409, line_error=STALE)
    if isinstance(exc, ValidationFailed):
        text = _("；").join(
            _("%(field)s：%(message)s") % {"field": _field_label(k), "message": m}
            for k, ms in exc.errors.items()
            for m in ms
        )
        return _page(request, pk, 422, line_error=text)
    return _page(request, pk, exc.status, line_error=exc.message)


def _field_label(name: str) -> str:
    labels = {"quantity": _("数量"), "unit_price": _("单价"), "discount_percent": _("折扣（%）"),
              "product_id": _("产品"), "description": _("名称"), "version": _("版本"),
              "lines": _("明细")}  # fmt: skip
    return str(labels.get(name, name))


@require_POST
@staff_required
def quote_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(actor=request.user, quote_id=pk)
    form = LineForm(request.POST, products=selectors.quotable_products(actor=request.user))
    if not form.is_valid():
        return _page(request, pk, 422, line_form=form)
    try:
        services.quote_line_add(
            actor=request.user, quote_id=quote.pk, version=form.cleaned_data["version"],
            data=form.line_data(),
        )  # fmt: skip
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            add_domain_errors(form, exc)
            return _page(request, pk, 422, line_form=form)
        return _line_done(request, pk, exc)
    return _line_done(request, pk, None)


@require_POST
@staff_required
def quote_line_edit(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    form = LineEditForm(request.POST)
    if not form.is_valid():
        return _page(request, pk, 422, line_error=_("请求无效，请刷新页面后重试。"))
    data = {k: v for k, v in form.cleaned_data.items() if k != "version" and v != ""}
    try:
        services.quote_line_update(actor=request.user, quote_id=pk, line_id=line_id,
                                   version=form.cleaned_data["version"], data=data)  # fmt: skip
    except DomainError as exc:
        return _line_done(request, pk, exc)
    return _line_done(request, pk, None)


@require_POST
@staff_required
def quote_line_remove(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _page(request, pk, 422, line_error=_("请求无效，请刷新页面后重试。"))
    try:
        services.quote_line_remove(actor=request.user, quote_id=pk, line_id=line_id,
                                   version=form.cleaned_data["version"])  # fmt: skip
    except DomainError as exc:
        return _line_done(request, pk, exc)
    return _line_done(request, pk, None)


@require_POST
@staff_required
def quote_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    found = ACTIONS.get(action)
    form = VersionForm(request.POST)
    if found is None or not form.is_valid():
        messages.error(request, _("请求无效，请刷新页面后重试。"))
        return redirect("contracts:quote_detail", pk)
    service, done = found
    try:
        quote = service(actor=request.user, quote_id=pk, version=form.cleaned_data["version"])
    except DomainError as exc:
        if isinstance(exc, Conflict) and exc.field == "version":
            messages.error(request, STALE)
        elif isinstance(exc, ValidationFailed):
            messages.error(request, _("；").join(m for ms in exc.errors.values() for m in ms))
        else:
            messages.error(request, exc.message)
        return redirect("contracts:quote_detail", pk)
    messages.success(request, done)
    return redirect("contracts:quote_detail", quote.pk)


@require_GET
@staff_required
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(actor=request.user, quote_id=pk)
    language = "en" if request.GET.get("lang") == "en" else "zh-hans"
    content = render_quote_pdf(quote=quote, lines=selectors.lines_of(quote=quote),
                               language=language)  # fmt: skip
    response = HttpResponse(content, content_type="application/pdf")
    name = f"{quote.number}-v{quote.revision}-{language}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
