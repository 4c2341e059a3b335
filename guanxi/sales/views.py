"""The sales pages: the kanban per pipeline (drag with SortableJS, the move posted with the
card's version), the opportunity list and page, leads, and the public web-to-lead form.
Reads through ``sales.selectors``, writes through ``sales.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.actions import render_record_actions
from guanxi.core.db.paging import paginate
from guanxi.core.errors import Conflict, DomainError, ValidationFailed
from guanxi.core.forms import VersionForm, add_domain_errors
from guanxi.customers import selectors as customer_selectors
from guanxi.sales import scoring, selectors
from guanxi.sales.forms import (
    ActivityForm,
    ConvertForm,
    LeadForm,
    LineForm,
    LoseForm,
    MoveForm,
    OpportunityEditForm,
    OpportunityForm,
    WebLeadForm,
)
from guanxi.sales.models import LeadStatus, OpportunityStatus
from guanxi.sales.services import leads as lead_services
from guanxi.sales.services import opportunities as services

KANBAN = "sales/kanban.html"
LIST = "sales/opportunity_list.html"
DETAIL = "sales/opportunity_detail.html"
EDIT = "sales/opportunity_edit.html"
STALE = _("该商机刚被他人修改或移动，看板已刷新为最新状态；请确认后再拖动。")


def _filters(request: HttpRequest) -> tuple[selectors.OpportunityFilters, dict[str, list[str]]]:
    try:
        return selectors.validate_filters(request.GET), {}
    except ValidationFailed as exc:
        return selectors.OpportunityFilters(), exc.errors


def _may_sell(request: HttpRequest) -> None:
    if not permissions.can_create_customer(request.user):
        raise DjangoPermissionDenied


@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    pipeline = selectors.pipelines(actor=request.user).first()
    if pipeline is None:
        return redirect("sales:list")
    return redirect("sales:kanban", pipeline.pk)


@require_GET
@staff_required
def kanban(request: HttpRequest, pk: int) -> HttpResponse:
    """One pipeline as columns of cards; the ``board`` partial is what a move reloads."""
    pipeline = selectors.pipeline_get(actor=request.user, pipeline_id=pk)
    filters, errors = _filters(request)
    columns = selectors.kanban(actor=request.user, pipeline=pipeline, filters=filters)
    scoring.attach(  # the badges
        [card for column in columns for card in column.cards],
        stage_probabilities={c.stage.pk: c.stage.win_probability for c in columns},
    )
    context = {
        "pipeline": pipeline,
        "pipelines": list(selectors.pipelines(actor=request.user)),
        "columns": columns,
        "filters": filters,
        "query": filters.as_query(),
        "errors": errors,
    }
    template = f"{KANBAN}#board" if request.GET.get("part") == "board" else KANBAN
    return render(request, template, context, status=422 if errors else 200)


@require_GET
@staff_required
def column_more(request: HttpRequest, pk: int, stage_id: int) -> HttpResponse:
    """The next cards of one column ("load more")."""
    pipeline = selectors.pipeline_get(actor=request.user, pipeline_id=pk)
    stage = next((s for s in selectors.stages_of(pipeline=pipeline) if s.pk == stage_id), None)
    if stage is None:
        return HttpResponse(status=404)
    filters, _errors = _filters(request)
    try:
        offset = max(0, min(int(request.GET.get("offset", "0")), 1_000_000))
    except ValueError:
        offset = 0
    cards = selectors.column_cards(
        actor=request.user, stage=stage, filters=filters, offset=offset,
        limit=selectors.COLUMN_PAGE + 1,
    )  # fmt: skip
    scoring.attach(cards[: selectors.COLUMN_PAGE],
                   stage_probabilities={stage.pk: stage.win_probability})  # fmt: skip
    context = {
        "pipeline": pipeline,
        "stage": stage,
        "cards": cards[: selectors.COLUMN_PAGE],
        "next_offset": offset + selectors.COLUMN_PAGE
        if len(cards) > selectors.COLUMN_PAGE
        else None,
        "query": filters.as_query(),
    }
    return render(request, f"{KANBAN}#more-cards", context)


@require_POST
@staff_required
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """A card dropped at (stage, index) with the version it showed: 200 with the card,
    409 with the conflict message when the card is stale, 422 when the stage refuses it
    (required fields, a lost stage); the board then reloads to the truth."""
    form = MoveForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "sales/move_error.html",
            {"message": _("请求无效，请刷新页面后重试。")},
            status=422,
        )
    try:
        opportunity = services.opportunity_move(
            actor=request.user,
            opportunity_id=pk,
            stage_id=form.cleaned_data["stage"],
            index=form.cleaned_data["index"],
            version=form.cleaned_data["version"],
        )
    except Conflict as exc:
        message = STALE if exc.field == "version" else exc.message
        return render(request, "sales/move_error.html", {"message": message}, status=409)
    except ValidationFailed as exc:
        text = "；".join(m for msgs in exc.errors.values() for m in msgs)
        if any(
            name in exc.errors
            for name in (
                "amount",
                "expected_close",
                "next_step",
                "next_step_due",
                "competitors",
                "lines",
            )
        ):
            text = _("进入该阶段前需要填写：%(fields)s") % {"fields": _field_names(exc)}
        return render(request, "sales/move_error.html", {"message": text}, status=422)
    scoring.attach([opportunity])
    return render(request, f"{KANBAN}#card", {"card": opportunity})


def _field_names(exc: ValidationFailed) -> str:
    from guanxi.sales.models import Opportunity

    names = []
    for name in exc.errors:
        try:
            names.append(str(getattr(Opportunity._meta.get_field(name), "verbose_name", name)))
        except Exception:
            names.append(_("产品明细") if name == "lines" else name)
    return "、".join(names)


@require_GET
@staff_required
def opportunity_list(request: HttpRequest) -> HttpResponse:
    filters, errors = _filters(request)
    qs = selectors.opportunity_list(actor=request.user, filters=filters)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    page = paginate(qs, page=number, size=25)
    context = {
        "page": page,
        "filters": filters,
        "query": filters.as_query(),
        "errors": errors,
        "statuses": OpportunityStatus.choices,
        "pipelines": list(selectors.pipelines(actor=request.user)),
    }
    return render(request, LIST, context, status=422 if errors else 200)


@require_http_methods(["GET", "POST"])
@staff_required
def opportunity_new(request: HttpRequest) -> HttpResponse:
    _may_sell(request)
    pipelines = list(selectors.pipelines(actor=request.user))
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    customer = customer_selectors.customer_get(actor=request.user, customer_id=customer_id)
    form = OpportunityForm(request.POST or None, pipelines=pipelines,
                           initial={"customer": customer.pk})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = services.opportunity_create(
                actor=request.user,
                customer_id=customer.pk,
                pipeline_id=form.cleaned_data["pipeline"],
                data=form.service_data(),
            )
        except DomainError as exc:
            add_domain_errors(form, exc, lambda name: name.removesuffix("_id"))
        else:
            messages.success(request, _("商机已创建。"))
            return redirect("sales:detail", opportunity.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/opportunity_form.html",
                  {"form": form, "customer": customer}, status=status)  # fmt: skip


def _detail_context(request: HttpRequest, opportunity: Any) -> dict[str, Any]:
    reasons = list(selectors.lost_reasons(actor=request.user))
    can_change = selectors.can_change(request.user, opportunity)
    editable = can_change and opportunity.status == OpportunityStatus.OPEN
    products = list(selectors.catalogue(actor=request.user)) if editable else []
    return {
        "opportunity": opportunity,
        "can_change": can_change,
        "lines": selectors.lines_of(opportunity=opportunity),
        "line_form": LineForm(products=products, initial={"version": opportunity.version}),
        "activities": selectors.activities_of(opportunity=opportunity),
        "activity_form": ActivityForm(),
        "lose_form": LoseForm(reasons=reasons, initial={"version": opportunity.version}),
        "score": scoring.score_of(opportunity),
        # Buttons higher apps add (projects: "create project" on a won deal).
        "record_actions": render_record_actions(request, opportunity),
    }


@require_GET
@staff_required
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_get(actor=request.user, opportunity_id=pk)
    return render(request, DETAIL, _detail_context(request, opportunity))


@require_http_methods(["GET", "POST"])
@staff_required
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The edit form; a stale version (someone saved in between) answers 409 with the
    conflict notice and changes nothing."""
    opportunity = selectors.opportunity_get(actor=request.user, opportunity_id=pk)
    if not selectors.can_change(request.user, opportunity):
        raise DjangoPermissionDenied
    has_lines = bool(selectors.lines_of(opportunity=opportunity))
    if request.method == "GET":
        form = OpportunityEditForm.for_opportunity(opportunity, has_lines=has_lines)
        return render(request, EDIT, {"form": form, "opportunity": opportunity})
    form = OpportunityEditForm(request.POST, has_lines=has_lines,
                               initial={"amount": opportunity.amount})  # fmt: skip
    stale = False
    if form.is_valid():
        try:
            services.opportunity_update(
                actor=request.user, opportunity_id=opportunity.pk,
                data=form.service_data(), version=form.cleaned_data["version"],
            )  # fmt: skip
        except DomainError as exc:
            stale = isinstance(exc, Conflict) and exc.field == "version"
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("商机已保存。"))
            return redirect("sales:detail", opportunity.pk)
    context = {"form": form, "opportunity": opportunity, "stale": stale}
    return render(request, EDIT, context, status=409 if stale else 422)


@require_POST
@staff_required
def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    form = LineForm(request.POST, products=selectors.catalogue(actor=request.user))
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        return _after_write(request, pk, ValidationFailed({name: str(errors[0])}), "")
    try:
        services.opportunity_line_add(
            actor=request.user, opportunity_id=pk, version=form.cleaned_data["version"],
            line=form.service_line(),
        )  # fmt: skip
    except DomainError as exc:
        return _after_write(request, pk, exc, "")
    return _after_write(request, pk, None, _("产品明细已添加。"))


@require_POST
@staff_required
def line_remove(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _after_write(
            request, pk, ValidationFailed({"version": _("请求无效，请刷新页面后重试。")}), ""
        )
    try:
        services.opportunity_line_remove(
            actor=request.user, opportunity_id=pk, version=form.cleaned_data["version"],
            line_id=line_id,
        )  # fmt: skip
    except DomainError as exc:
        return _after_write(request, pk, exc, "")
    return _after_write(request, pk, None, _("产品明细已删除。"))


def _after_write(request: HttpRequest, pk: int, exc: DomainError | None, done: str) -> HttpResponse:
    if exc is None:
        messages.success(request, done)
    elif isinstance(exc, Conflict) and exc.field == "version":
        messages.error(request, _("该商机刚被他人修改，下面已是最新状态；请确认后再操作。"))
    else:
        messages.error(request, exc.message)
    return redirect("sales:detail", pk)


@require_POST
@staff_required
def opportunity_win(request: HttpRequest, pk: int) -> HttpResponse:
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _after_write(
            request, pk, ValidationFailed({"version": _("请求无效，请刷新页面后重试。")}), ""
        )
    try:
        services.opportunity_win(
            actor=request.user, opportunity_id=pk, version=form.cleaned_data["version"]
        )
    except DomainError as exc:
        return _after_write(request, pk, exc, "")
    return _after_write(request, pk, None, _("恭喜，商机已赢单！"))


@require_POST
@staff_required
def opportunity_lose(request: HttpRequest, pk: int) -> HttpResponse:
    form = LoseForm(request.POST, reasons=selectors.lost_reasons(actor=request.user))
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return _after_write(request, pk, ValidationFailed({"reason": str(first)}), "")
    try:
        services.opportunity_lose(
            actor=request.user,
            opportunity_id=pk,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            invalid=form.cleaned_data["invalid"],
        )
    except DomainError as exc:
        return _after_write(request, pk, exc, "")
    return _after_write(request, pk, None, _("商机已关闭。"))


@require_POST
@staff_required
def activity_add(request: HttpRequest, pk: int) -> HttpResponse:
    form = ActivityForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return _after_write(request, pk, ValidationFailed({"note": str(first)}), "")
    try:
        services.activity_create(actor=request.user, opportunity_id=pk, data=form.cleaned_data)
    except DomainError as exc:
        return _after_write(request, pk, exc, "")
    return _after_write(request, pk, None, _("跟进记录已添加。"))


# --- leads -------------------------------------------------------------------------------


@require_GET
@staff_required
def lead_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    try:
        qs = selectors.lead_list(actor=request.user, status=status, q=request.GET.get("q", ""))
    except ValidationFailed:
        qs, status = selectors.lead_list(actor=request.user), ""
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    context = {"page": paginate(qs, page=number, size=25), "status": status,
               "statuses": LeadStatus.choices}  # fmt: skip
    return render(request, "sales/lead_list.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def lead_new(request: HttpRequest) -> HttpResponse:
    _may_sell(request)
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_services.lead_create(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("线索已创建。"))
            return redirect("sales:lead_detail", lead.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/lead_form.html", {"form": form}, status=status)


@require_GET
@staff_required
def lead_check(request: HttpRequest) -> HttpResponse:
    """The duplicate check while typing (the lead form's fields, as they are)."""
    get = request.GET
    hits = lead_services.lead_duplicates(
        actor=request.user, name=get.get("name", "")[:100], company=get.get("company", "")[:200],
        phone=get.get("phone", "")[:40], email=get.get("email", "")[:254],
    )  # fmt: skip
    return render(request, "sales/lead_form.html#duplicates", {"hits": hits})


@require_GET
@staff_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(actor=request.user, lead_id=pk)
    hits = lead_services.lead_duplicates(
        actor=request.user, name=lead.name, company=lead.company, phone=lead.phone,
        email=lead.email, exclude_lead=lead.pk,
    )  # fmt: skip
    found = next((h for h in hits if h.kind == "customer" and h.visible), None)
    form = ConvertForm(initial={"version": lead.version, "customer": found.id if found else None})
    context = {"lead": lead, "hits": hits, "found": found, "form": form,
               "can_change": permissions.can_change_record(
                   request.user, owner_id=lead.owner_id, team_id=lead.team_id)}  # fmt: skip
    return render(request, "sales/lead_detail.html", context)


@require_POST
@staff_required
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    form = ConvertForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请求无效，请刷新页面后重试。"))
        return redirect("sales:lead_detail", pk)
    opportunity: dict[str, Any] = {}
    if form.cleaned_data["opportunity_name"]:
        opportunity["name"] = form.cleaned_data["opportunity_name"]
    if form.cleaned_data["amount"] is not None:
        opportunity["amount"] = form.cleaned_data["amount"]
    try:
        lead = lead_services.lead_convert(
            actor=request.user, lead_id=pk, version=form.cleaned_data["version"],
            customer_id=form.cleaned_data["customer"], opportunity=opportunity,
            duplicate_reason=form.cleaned_data["duplicate_reason"] or None,
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("sales:lead_detail", pk)
    messages.success(request, _("线索已转化。"))
    if lead.converted_opportunity_id:
        return redirect("sales:detail", lead.converted_opportunity_id)
    return redirect(reverse("customers:detail", args=[lead.converted_customer_id]))


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")


# Embeddable in the company's own site (a third-party frame gets no CSRF cookie): the
# signed, time-limited token stands in for the CSRF token; nothing here uses a session.
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def web_lead(request: HttpRequest) -> HttpResponse:
    """The public web-to-lead form: no login; honeypot, signed time, per-address limit."""
    if request.method == "GET":
        form = WebLeadForm(initial={"token": lead_services.web_form_token()})
        return render(request, "sales/web_lead.html", {"form": form})
    form = WebLeadForm(request.POST)
    status = 200
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in lead_services.LEAD_FIELDS}
        try:
            lead_services.web_lead_submit(
                data=data, token=form.cleaned_data["token"],
                honeypot=form.cleaned_data["website"], address=_client_address(request),
            )  # fmt: skip
        except lead_services.Spam:
            pass  # answered like a success: nothing to learn for a bot
        except lead_services.RateLimited:
            form.add_error(None, _("提交过于频繁，请稍后再试。"))
            return render(request, "sales/web_lead.html", {"form": form}, status=429)
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
            return render(request, "sales/web_lead.html", {"form": form}, status=422)
        return render(request, "sales/web_lead.html", {"thanks": True})
    status = 422
    fresh = request.POST.copy()  # a new signed time for the corrected form
    fresh["token"] = lead_services.web_form_token()
    form = WebLeadForm(fresh)
    form.is_valid()
    return render(request, "sales/web_lead.html", {"form": form}, status=status)
