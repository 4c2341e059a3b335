"""The service desk pages: the queues (mine, my team, unassigned, breaching soon, unknown
senders, all) with filters, a new ticket, the ticket page with its conversation, replies,
internal notes, transitions and attachments. Reads through ``service.selectors``, writes
through ``service.services``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.attachments.panels import panel_context as attachments_context
from guanxi.core.db.paging import paginate
from guanxi.core.errors import Conflict, DomainError, ValidationFailed
from guanxi.core.forms import VersionForm, add_domain_errors
from guanxi.core.htmx import htmx
from guanxi.service import selectors
from guanxi.service.forms import (
    CannedReplyForm,
    ComplaintForm,
    MergeForm,
    ReplyForm,
    RootCauseForm,
    SavedViewForm,
    SpamForm,
    TicketEditForm,
    TicketForm,
    TransitionForm,
    TriageForm,
)
from guanxi.service.models import (
    TicketCategory,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from guanxi.service.services import complaints, desk, sla
from guanxi.service.services import tickets as services

LIST = "service/ticket_list.html"
DETAIL = "service/ticket_detail.html"
NEW = "service/ticket_form.html"
QUEUE_COUNT_CAP = 1000
STALE = _("该工单刚被他人修改，下面已是最新状态；请确认后再操作。")


def _may_serve(request: HttpRequest) -> None:
    if not selectors.can_serve(request.user):
        raise DjangoPermissionDenied


def _page_number(params: Any) -> int:
    try:
        return max(1, min(int(params.get("page", "1")), 10_000))
    except ValueError:
        return 1


@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    _may_serve(request)
    view = selectors.default_view(actor=request.user)
    query = urlencode(view.filters) if view is not None else "queue=mine"
    return redirect(f"{reverse('service:list')}?{query}")


def _list_context(request: HttpRequest, params: Any) -> dict[str, Any]:
    """The queue page's context for the filters in ``params`` (the query string, or the
    bulk form's hidden copy of it): rows, saved views, agents for bulk assignment."""
    try:
        filters, errors = selectors.validate_filters(params), {}
    except ValidationFailed as exc:
        filters, errors = selectors.TicketFilters(), exc.errors
    now = timezone.now()
    # A queue counts to 1,000 ("1,000+"): nobody works past page 40, and a filter no index
    # serves (priority + category of all tickets) would count 10,000 rows by a table scan.
    page = paginate(selectors.queue(actor=request.user, filters=filters, now=now),
                    page=_page_number(params), size=25, cap=QUEUE_COUNT_CAP)  # fmt: skip
    rows = [(t, sla.sla_state(t, now=now)) for t in page.items]
    context = {
        "page": page, "rows": rows, "filters": filters, "errors": errors,
        "may_send_surveys": permissions.can_send_surveys(request.user),
        "may_manage_settings": permissions.can_manage_settings(request.user),
        "queues": [
            ("mine", _("我的工单")), ("team", _("本部门")), ("unassigned", _("未分配")),
            ("breaching", _("即将超时")), ("unknown", _("待分拣（未知发件人）")),
            ("all", _("全部")),
        ],
        "statuses": TicketStatus.choices, "priorities": TicketPriority.choices,
        "categories": TicketCategory.choices, "channels": TicketChannel.choices,
        "saved_views": [
            (v, urlencode(v.filters)) for v in selectors.saved_views(actor=request.user)
        ],
        "current_query": urlencode(filters.as_query()),
        "agents": list(selectors.agents(actor=request.user)),
        "view_form": SavedViewForm(),
    }  # fmt: skip
    return context


@require_GET
@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """A queue with its filters; the ``results`` partial is what the filter form reloads."""
    _may_serve(request)
    context = _list_context(request, request.GET)
    errors = context["errors"]
    template = f"{LIST}#results" if request.GET.get("part") == "results" else LIST
    return render(request, template, context, status=422 if errors else 200)


@require_http_methods(["GET", "POST"])
@staff_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    _may_serve(request)
    agents = list(selectors.agents(actor=request.user))
    if request.method == "GET":
        initial = {"customer": request.GET.get("customer", "")}
        return render(request, NEW, {"form": TicketForm(initial=initial, agents=agents)})
    form = TicketForm(request.POST, agents=agents)
    if form.is_valid():
        try:
            ticket = services.ticket_create(
                actor=request.user, data=form.service_data(),
                customer_id=form.cleaned_data["customer"],
                assignee_id=form.cleaned_data["assignee"], body=form.cleaned_data["body"],
            )  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            messages.success(request, _("工单已创建。"))
            return redirect("service:detail", ticket.pk)
    return render(request, NEW, {"form": form}, status=422)


def _detail_context(request: HttpRequest, ticket: Any, **forms: Any) -> dict[str, Any]:
    can_work = selectors.can_work(request.user, ticket)
    agents = list(selectors.agents(actor=request.user)) if can_work else []
    initial = {"version": ticket.version, "priority": ticket.priority,
               "category": ticket.category, "assignee": ticket.assignee_id}  # fmt: skip
    return {
        "ticket": ticket,
        "can_work": can_work,
        "sla_state": sla.sla_state(ticket),
        "token": services.ticket_token(ticket.pk),
        "csat": selectors.ticket_csat(ticket=ticket),
        "conversation": selectors.messages_of(ticket=ticket),
        "next_statuses": [
            (s, label)
            for s, label in TicketStatus.choices
            if s in services.TRANSITIONS[ticket.status]
        ],
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "edit_form": forms.get("edit_form") or TicketEditForm(initial=initial, agents=agents),
        **attachments_context(
            actor=request.user, kind="ticket", record=ticket, can_change=can_work
        ),
        **_desk_context(request, ticket, can_work, forms),
    }


@require_GET
@staff_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_serve(request)
    ticket = selectors.ticket_get(actor=request.user, ticket_id=pk)
    return render(request, DETAIL, _detail_context(request, ticket))


def _done(request: HttpRequest, pk: int, exc: DomainError | None, done: str) -> HttpResponse:
    if exc is None:
        messages.success(request, done)
    elif isinstance(exc, Conflict) and exc.field == "version":
        messages.error(request, STALE)
    else:
        messages.error(request, exc.message)
    return redirect("service:detail", pk)


@require_POST
@staff_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    _may_serve(request)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_reply(
                actor=request.user, ticket_id=pk, body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"], status=form.cleaned_data["status"] or None,
            )  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            done = _("内部备注已添加。") if form.cleaned_data["internal"] else _("回复已发送。")
            return _done(request, pk, None, done)
    ticket = selectors.ticket_get(actor=request.user, ticket_id=pk)
    return render(request, DETAIL, _detail_context(request, ticket, reply_form=form), status=422)


def _invalid_post(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """A button's form the page cannot have sent as it is (tampered with, or from a stale
    page): the ticket page again with the message on ``field``."""
    return _done(request, pk, ValidationFailed({field: _("请求无效，请刷新页面后重试。")}), "")


@require_POST
@staff_required
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    _may_serve(request)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _invalid_post(request, pk, "status")
    try:
        ticket = services.ticket_transition(
            actor=request.user, ticket_id=pk, status=form.cleaned_data["status"],
            version=form.cleaned_data["version"],
        )  # fmt: skip
    except DomainError as exc:
        return _done(request, pk, exc, "")
    return _done(request, pk, None, _("工单状态已改为“%(status)s”。") % {
        "status": ticket.get_status_display()})  # fmt: skip


@require_POST
@staff_required
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_serve(request)
    ticket = selectors.ticket_get(actor=request.user, ticket_id=pk)
    form = TicketEditForm(request.POST, agents=list(selectors.agents(actor=request.user)))
    if form.is_valid():
        try:
            services.ticket_update(
                actor=request.user, ticket_id=pk, version=form.cleaned_data["version"],
                data={k: form.cleaned_data[k] for k in ("priority", "category")},
                assignee_id=form.cleaned_data["assignee"],
            )  # fmt: skip
        except DomainError as exc:
            if isinstance(exc, Conflict):
                return _done(request, pk, exc, "")
            add_domain_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            return _done(request, pk, None, _("工单已保存。"))
    return render(request, DETAIL, _detail_context(request, ticket, edit_form=form), status=422)


# --- satisfaction (C3) and follow-up visits (C4) --------------------------------------------

SURVEY = "service/survey.html"
RESULTS = "service/results.html"
VISITS = "service/visit_list.html"
NPS = "service/nps.html"


def _survey_page(request: HttpRequest, survey: Any, state: str, form: Any = None,
                 status: int = 200) -> HttpResponse:  # fmt: skip
    response = render(request, SURVEY, {"survey": survey, "state": state, "form": form},
                      status=status)  # fmt: skip
    # The token is in the address: no caching, no referrer to other sites (a "no-referrer"
    # policy would make the browser send "Origin: null" and fail CSRF), no search engine.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey behind a link (no login): a guessed token is a 404, an expired link a
    410, an answered one says so (409 when answered again)."""
    from django.http import Http404

    from guanxi.core.errors import NotFound
    from guanxi.service.forms import SurveyAnswerForm
    from guanxi.service.services import satisfaction

    try:
        found = satisfaction.survey_by_token(token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    state = satisfaction.survey_state(found)
    if state == "expired":
        return _survey_page(request, found, state, status=410)
    if state == "answered":
        return _survey_page(request, found, state, status=409 if request.method == "POST" else 200)
    low, high = found.score_range
    form = SurveyAnswerForm(request.POST or None, low=low, high=high)
    if request.method == "POST" and form.is_valid():
        try:
            satisfaction.survey_answer(token=token, score=form.cleaned_data["score"],
                                       comment=form.cleaned_data["comment"])  # fmt: skip
        except satisfaction.SurveyAnswered:
            return _survey_page(request, found, "answered", status=409)
        except satisfaction.SurveyExpired:
            return _survey_page(request, found, "expired", status=410)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return _survey_page(request, found, "thanks")
    status = 422 if request.method == "POST" else 200
    return _survey_page(request, found, state, form, status=status)


@require_GET
@staff_required
def results(request: HttpRequest) -> HttpResponse:
    """CSAT / NPS by account manager, department, customer or category, with the monthly
    trend; only the answers of customers the reader may read."""
    from guanxi.accounts import permissions

    _may_serve(request)
    try:
        filters, errors = selectors.validate_result_filters(request.GET), {}
    except ValidationFailed as exc:
        filters, errors = selectors.ResultFilters(), exc.errors
    data = selectors.survey_results(actor=request.user, filters=filters)
    chart = {
        "months": [row["month"] for row in data["trend"]],
        "score": [row["score"] for row in data["trend"]],
        "answered": [row["answered"] for row in data["trend"]],
        "score_name": _("CSAT（%）") if filters.kind == "csat" else _("NPS"),
        "answered_name": _("回答数"),
    }
    context = {
        "filters": filters, "errors": errors, "data": data, "chart": chart,
        "perms_send_nps": permissions.can_send_surveys(request.user),
        "kinds": [("csat", _("满意度（CSAT）")), ("nps", _("净推荐值（NPS）"))],
        "groups": [("owner", _("客户经理")), ("team", _("部门")), ("customer", _("客户")),
                   ("category", _("工单类别"))],
    }  # fmt: skip
    return render(request, RESULTS, context, status=422 if errors else 200)


@require_GET
@staff_required
def visit_list(request: HttpRequest) -> HttpResponse:
    """Follow-up visits in scope with filters, the overdue ones flagged, and the count of
    pending and overdue visits per account manager."""
    from guanxi.service.forms import FollowUpRecordForm
    from guanxi.service.models import FollowUpReason

    _may_serve(request)
    try:
        filters, errors = selectors.validate_followup_filters(request.GET), {}
    except ValidationFailed as exc:
        filters, errors = selectors.FollowUpFilters(), exc.errors
    today = timezone.localdate()
    page = paginate(selectors.followup_list(actor=request.user, filters=filters, today=today),
                    page=_page_number(request.GET), size=25)  # fmt: skip
    rows = [
        (f, f.status == "pending" and f.due_date < today,
         FollowUpRecordForm(initial={"version": f.version}, prefix=f"f{f.pk}")
         if f.status == "pending" and selectors.can_record_followup(request.user, f) else None)
        for f in page.items
    ]  # fmt: skip
    context = {
        "page": page, "rows": rows, "filters": filters, "errors": errors,
        "by_owner": selectors.followup_counts_by_owner(actor=request.user, today=today),
        "statuses": [("pending", _("待回访")), ("overdue", _("已逾期")), ("done", _("已回访"))],
        "reasons": FollowUpReason.choices,
    }  # fmt: skip
    return render(request, VISITS, context, status=422 if errors else 200)


@require_POST
@staff_required
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    from guanxi.service.forms import FollowUpRecordForm
    from guanxi.service.services import visits

    _may_serve(request)
    form = FollowUpRecordForm(request.POST, prefix=f"f{pk}")
    back = request.POST.get("next", "")
    target = back if back.startswith("/service/visits/") else reverse("service:visits")
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        messages.error(request, _("回访结果未保存：%(error)s") % {"error": first})
        return redirect(target)
    try:
        visits.followup_record(
            actor=request.user, followup_id=pk, outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"], version=form.cleaned_data["version"],
        )  # fmt: skip
    except Conflict:
        messages.error(request, _("该回访刚被他人修改，请确认后再操作。"))
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            messages.error(request, _("回访结果未保存：%(error)s") % {"error": exc.message})
        else:
            raise
    else:
        messages.success(request, _("回访结果已记录。"))
    return redirect(target)


@require_http_methods(["GET", "POST"])
@staff_required
def nps(request: HttpRequest) -> HttpResponse:
    """NPS campaigns: send one to a segment (value class, account manager, tag)."""
    from guanxi.accounts import permissions
    from guanxi.accounts.models import User
    from guanxi.analytics.models import ValueClass
    from guanxi.customers.models import Tag
    from guanxi.service.forms import NpsCampaignForm
    from guanxi.service.services import satisfaction

    if not permissions.can_send_surveys(request.user):
        raise DjangoPermissionDenied
    options = {
        "value_classes": ValueClass.choices,
        "owners": list(permissions.customer_owners(request.user, User.objects.all())),
        "tags": list(Tag.objects.order_by("name")),
    }
    form = NpsCampaignForm(request.POST or None, **options)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                campaign = satisfaction.nps_campaign_send(
                    actor=request.user, name=form.cleaned_data["name"],
                    value_class=form.cleaned_data["value_class"],
                    owner_id=form.cleaned_data["owner"], tag_id=form.cleaned_data["tag"],
                )  # fmt: skip
            except DomainError as exc:
                add_domain_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
            else:
                messages.success(request, _("NPS 调查已发送给 %(count)s 位联系人。") % {
                    "count": campaign.recipients})  # fmt: skip
                return redirect("service:nps")
    context = {"form": form, "campaigns": selectors.campaigns(actor=request.user)[:50]}
    return render(request, NPS, context, status=status)


# --- complaints, canned replies, merge, bulk actions, saved views --------------------------


def _bulk_items(raw: list[str]) -> list[tuple[int, int]]:
    """The rows ticked on the queue: ``"<id>:<version>"`` each (the version the page showed)."""
    items = []
    for value in raw:
        ticket_id, _sep, version = str(value).partition(":")
        if not (ticket_id.isdigit() and version.isdigit()):
            raise ValidationFailed({"items": _("请求无效，请刷新页面后重试。")})
        if not (1 <= int(ticket_id) <= 2**63 - 1 and 1 <= int(version) <= 2**31 - 1):
            raise ValidationFailed({"items": _("请求无效，请刷新页面后重试。")})
        items.append((int(ticket_id), int(version)))
    return items


@require_POST
@staff_required
def ticket_bulk(request: HttpRequest) -> HttpResponse:
    """Assign, reprioritise or close the ticked rows; answers the queue's results with a
    report of each row (done, or why not)."""
    _may_serve(request)
    report: list[Any] = []
    error = ""
    try:
        assignee = request.POST.get("assignee") or None
        if assignee is not None and not (assignee.isdigit() and int(assignee) <= 2**63 - 1):
            raise ValidationFailed({"assignee_id": _("该用户不存在或不处理工单。")})
        report = desk.tickets_bulk(
            actor=request.user,
            action=request.POST.get("action"),
            items=_bulk_items(request.POST.getlist("items")),
            assignee_id=int(assignee) if assignee else None,
            priority=request.POST.get("new_priority") or None,
        )
    except DomainError as exc:
        error = exc.message
    if not htmx(request):
        for row in report:
            (messages.success if row.ok else messages.error)(
                request, f"#{row.ticket_id} {row.message}"
            )
        if error:
            messages.error(request, error)
        return redirect(reverse("service:list"))
    context = _list_context(request, request.POST)
    context.update({"bulk_report": report, "bulk_error": error})
    return render(request, f"{LIST}#results", context, status=422 if error else 200)


@require_POST
@staff_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    _may_serve(request)
    form = SavedViewForm(request.POST)
    filters = {
        k: request.POST.get(k, "")
        for k in ("queue", "q", "status", "priority", "category", "channel", "customer")
    }
    if form.is_valid():
        try:
            view = desk.saved_view_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                filters=filters,
                is_default=form.cleaned_data["is_default"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("视图“%(name)s”已保存。") % {"name": view.name})
            return redirect(f"{reverse('service:list')}?{urlencode(view.filters)}")
    else:
        messages.error(request, _("请填写视图名称（最多 60 个字符）。"))
    return redirect(
        f"{reverse('service:list')}?{urlencode({k: v for k, v in filters.items() if v})}"
    )


@require_POST
@staff_required
def saved_view_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a saved view the default, stop it being the default, or delete it."""
    _may_serve(request)
    action = request.POST.get("action")
    try:
        if action == "delete":
            desk.saved_view_delete(actor=request.user, view_id=pk)
            messages.success(request, _("视图已删除。"))
        elif action in ("default", "undefault"):
            desk.saved_view_set_default(
                actor=request.user, view_id=pk, is_default=action == "default"
            )
            messages.success(request, _("默认视图已更新。"))
        else:
            messages.error(request, _("请求无效，请刷新页面后重试。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("service:list"))


def _picked_id(raw: Any) -> int | None:
    """The customer id a triage form or search sent, if it is one."""
    text = str(raw)
    return int(text) if text.isdigit() and len(text) < 19 and int(text) > 0 else None


def _desk_context(
    request: HttpRequest, ticket: Any, can_work: bool, forms: dict[str, Any]
) -> dict[str, Any]:
    """What the ticket page adds for complaints, canned replies and merging."""
    context: dict[str, Any] = {
        "canned": list(selectors.canned_replies(actor=request.user).order_by("title", "id"))
        if can_work
        else [],
        "merge_form": forms.get("merge_form") or MergeForm(),
    }
    if can_work and ticket.customer_id is None and ticket.spam_at is None:
        form = forms.get("triage_form") or TriageForm(
            initial={"version": ticket.version, "create_contact": bool(ticket.requester_email)}
        )
        picked_id = _picked_id(form.data.get("customer", "")) if form.is_bound else None
        typed = str(form.data.get("customer_q", ""))[: selectors.MAX_QUERY] if form.is_bound else ""
        context.update({
            "triage_form": form, "triage_picked": picked_id,
            "triage_q": typed,
            # Enter in the search box sends the form: the page comes back with the matches.
            "triage_candidates": selectors.triage_customers(
                actor=request.user, q=typed, picked=picked_id) if typed or picked_id else [],
        })  # fmt: skip
    if ticket.category == TicketCategory.COMPLAINT:
        complaint = selectors.complaint_of(ticket=ticket)
        causes = selectors.root_cause_tree(actor=request.user, active_only=True)
        if complaint is not None and complaint.root_cause and not complaint.root_cause.active:
            causes.append(
                selectors.RootCauseNode(complaint.root_cause, 0, complaint.root_cause.name)
            )
        initial = {}
        if complaint is not None:
            initial = {
                "version": complaint.version,
                "root_cause": complaint.root_cause_id,
                "resolution": complaint.resolution,
                "compensation_amount": complaint.compensation_amount,
                "compensation_kind": complaint.compensation_kind,
                "department": complaint.department_id,
                "product": complaint.product_id,
            }
        form = forms.get("complaint_form") or ComplaintForm(
            initial=initial,
            causes=causes,
            teams=selectors.departments(),
            products=selectors.complaint_products(actor=request.user),
        )
        context.update({"complaint": complaint, "complaint_form": form})
    return context


@require_POST
@staff_required
def ticket_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    _may_serve(request)
    form = ComplaintForm(
        request.POST,
        causes=selectors.root_cause_tree(actor=request.user),
        teams=selectors.departments(),
        products=selectors.complaint_products(actor=request.user),
    )
    if form.is_valid():
        try:
            complaints.complaint_save(
                actor=request.user,
                ticket_id=pk,
                data=form.service_data(),
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            if isinstance(exc, Conflict):
                return _done(request, pk, exc, "")
            add_domain_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            return _done(request, pk, None, _("投诉记录已保存。"))
    ticket = selectors.ticket_get(actor=request.user, ticket_id=pk)
    return render(
        request, DETAIL, _detail_context(request, ticket, complaint_form=form), status=422
    )


@require_POST
@staff_required
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this ticket (the duplicate) into the ticket named in the form."""
    _may_serve(request)
    form = MergeForm(request.POST)
    if form.is_valid():
        try:
            target = desk.ticket_merge(
                actor=request.user,
                target_id=form.cleaned_data["target"],
                source_id=pk,
                confirm_other_customer=form.cleaned_data["confirm_other_customer"],
            )
        except DomainError as exc:
            add_domain_errors(
                form, exc, rename=lambda n: {"target_id": "target", "source_id": "target"}.get(n, n)
            )
        else:
            messages.success(request, _("工单 #%(n)s 已合并到本工单。") % {"n": pk})
            return redirect("service:detail", target.pk)
    ticket = selectors.ticket_get(actor=request.user, ticket_id=pk)
    return render(request, DETAIL, _detail_context(request, ticket, merge_form=form), status=422)


@require_POST
@staff_required
def canned_insert(request: HttpRequest, pk: int) -> HttpResponse:
    """The reply box with the picked canned reply's text (fields filled in) added to what
    was typed. POST: the typed text may be long; nothing is written."""
    _may_serve(request)
    ticket = selectors.ticket_get(actor=request.user, ticket_id=pk)
    form = ReplyForm({"body": request.POST.get("body", "")[:100_000]})
    reply_id = request.POST.get("canned", "")
    reply = None
    if reply_id.isdigit() and int(reply_id) <= 2**63 - 1:
        reply = selectors.canned_replies(actor=request.user).filter(pk=int(reply_id)).first()
    if reply is not None:
        text = selectors.render_canned(reply=reply, ticket=ticket, agent=request.user)
        typed = form.data["body"].rstrip()
        form = ReplyForm({"body": f"{typed}\n\n{text}" if typed else text})
    return render(request, f"{DETAIL}#reply-body", {"reply_form": form})


@require_http_methods(["GET", "POST"])
@staff_required
def canned_list(request: HttpRequest) -> HttpResponse:
    """The actor's canned replies and the shared ones, with a form for a new one."""
    _may_serve(request)
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            desk.canned_reply_create(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("快捷回复已保存。"))
            return redirect("service:canned")
    replies = [
        (r, selectors.can_change_canned(request.user, r))
        for r in selectors.canned_replies(actor=request.user).order_by("title", "id")
    ]
    return render(
        request,
        "service/canned_list.html",
        {
            "replies": replies,
            "form": form,
            "can_share": permissions.can_share_canned_replies(request.user),
        },
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def canned_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_serve(request)
    reply = selectors.canned_replies(actor=request.user).filter(pk=pk).first()
    if reply is None:
        raise Http404
    if not selectors.can_change_canned(request.user, reply):
        raise DjangoPermissionDenied
    initial = {"title": reply.title, "body": reply.body, "shared": reply.shared}
    form = CannedReplyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        version = VersionForm(request.POST)
        if form.is_valid() and version.is_valid():
            try:
                if request.POST.get("delete"):
                    desk.canned_reply_delete(
                        actor=request.user, reply_id=pk, version=version.cleaned_data["version"]
                    )
                    messages.success(request, _("快捷回复已删除。"))
                    return redirect("service:canned")
                desk.canned_reply_update(
                    actor=request.user,
                    reply_id=pk,
                    data=form.cleaned_data,
                    version=version.cleaned_data["version"],
                )
            except DomainError as exc:
                if isinstance(exc, Conflict):
                    messages.error(request, exc.message)
                    return redirect("service:canned_edit", pk)
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("快捷回复已保存。"))
                return redirect("service:canned")
    return render(
        request,
        "service/canned_form.html",
        {
            "reply": reply,
            "form": form,
            "can_share": permissions.can_share_canned_replies(request.user),
        },
        status=422 if form.errors else 200,
    )


@require_GET
@staff_required
def complaint_report(request: HttpRequest) -> HttpResponse:
    """Complaint rate (complaints per order) per customer and per product, and the
    compensation paid, over what the actor may see."""
    _may_serve(request)
    tables = [
        (_("按客户"), selectors.complaint_rate_by_customer(actor=request.user), "by-customer"),
        (_("按产品"), selectors.complaint_rate_by_product(actor=request.user), "by-product"),
    ]
    return render(request, "service/complaint_report.html", {
        "tables": tables, "can_manage": permissions.can_manage_settings(request.user),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def root_causes(request: HttpRequest) -> HttpResponse:
    """The root-cause tree's settings page (admins): add a node, rename, move, switch off."""
    if not permissions.can_manage_settings(request.user):
        raise DjangoPermissionDenied
    tree = selectors.root_cause_tree(actor=request.user)
    form = RootCauseForm(request.POST or None, causes=tree)
    if request.method == "POST":
        pk = request.POST.get("node", "")
        try:
            if pk:
                version = VersionForm(request.POST)
                if not (pk.isdigit() and int(pk) <= 2**63 - 1 and version.is_valid()):
                    raise ValidationFailed({"node": _("请求无效，请刷新页面后重试。")})
                complaints.root_cause_update(
                    actor=request.user,
                    root_cause_id=int(pk),
                    data={"active": request.POST.get("active") == "1"},
                    version=version.cleaned_data["version"],
                )
                messages.success(request, _("投诉根因已更新。"))
                return redirect("service:root_causes")
            if form.is_valid():
                d = form.cleaned_data
                complaints.root_cause_create(
                    actor=request.user,
                    data={"name": d["name"], "parent_id": d["parent"], "order": d["order"]},
                )
                messages.success(request, _("投诉根因已添加。"))
                return redirect("service:root_causes")
        except DomainError as exc:
            if pk:
                messages.error(request, exc.message)
                return redirect("service:root_causes")
            add_domain_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
    return render(
        request,
        "service/root_causes.html",
        {"tree": tree, "form": form},
        status=422 if form.errors else 200,
    )


# --- triage of unknown senders ---------------------------------------------------------------


@require_POST
@staff_required
def ticket_triage(request: HttpRequest, pk: int) -> HttpResponse:
    """Link an unknown sender's ticket to a customer (and a contact, or a new one made from
    the sender); a bad field shows the ticket page again with the error on the field."""
    from guanxi.service.services import triage

    _may_serve(request)
    form = TriageForm(request.POST)
    if form.is_valid():
        try:
            ticket = triage.ticket_link_customer(
                actor=request.user, ticket_id=pk, version=form.cleaned_data["version"],
                customer_id=form.cleaned_data["customer"],
                contact_id=form.cleaned_data["contact"],
                create_contact=form.cleaned_data["create_contact"],
            )  # fmt: skip
        except DomainError as exc:
            if isinstance(exc, Conflict):
                return _done(request, pk, exc, "")
            add_domain_errors(form, exc, rename=lambda n: n.removesuffix("_id"))
        else:
            return _done(request, pk, None, _("工单已关联到客户“%(name)s”。") % {
                "name": ticket.customer.name if ticket.customer else ""})  # fmt: skip
    ticket = selectors.ticket_get(actor=request.user, ticket_id=pk)
    context = _detail_context(request, ticket, triage_form=form)
    return render(request, DETAIL, context, status=422)


@require_GET
@staff_required
def triage_customers(request: HttpRequest, pk: int) -> HttpResponse:
    """The triage form's customer choices for what was typed (the type-ahead fragment),
    keeping the one already picked."""
    _may_serve(request)
    ticket = selectors.ticket_get(actor=request.user, ticket_id=pk)
    q = request.GET.get("customer_q", "")[: selectors.MAX_QUERY]
    picked = _picked_id(request.GET.get("customer", ""))
    context = {
        "ticket": ticket, "triage_form": TriageForm(), "triage_q": q, "triage_picked": picked,
        "triage_candidates": selectors.triage_customers(actor=request.user, q=q, picked=picked),
    }  # fmt: skip
    return render(request, f"{DETAIL}#triage-customers", context)


@require_POST
@staff_required
def ticket_spam(request: HttpRequest, pk: int) -> HttpResponse:
    from guanxi.service.services import triage

    _may_serve(request)
    form = SpamForm(request.POST)
    if not form.is_valid():
        return _invalid_post(request, pk, "version")
    try:
        triage.ticket_mark_spam(actor=request.user, ticket_id=pk,
                                version=form.cleaned_data["version"])  # fmt: skip
    except DomainError as exc:
        return _done(request, pk, exc, "")
    return _done(request, pk, None, _("已标记为垃圾邮件，该发件人以后的来信不再新建工单。"))
