"""The portal's pages (``/portal/``): thin views over ``selectors`` and ``services``.

Portal pages are for portal users only: a stranger goes to the login page, a staff user
gets 403 (staff have the staff pages). A portal login without an active company account
sees a page saying so — never a 403 on the portal home. Another company's id, a missing
record and a bad id are the same 404. The staff side's pages here (who has portal access
to a customer, inviting, deactivating) are for staff only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.accounts.forms import SetPasswordForm
from guanxi.attachments.responses import file_response
from guanxi.core.errors import DomainError, NotFound, PermissionDenied
from guanxi.core.forms import add_domain_errors
from guanxi.customers import selectors as customer_selectors
from guanxi.portal import selectors, services
from guanxi.portal.forms import (
    AcceptForm,
    AttachForm,
    DecisionForm,
    InviteForm,
    PortalPasswordResetForm,
    ReplyForm,
    SurveyForm,
    TicketForm,
    TokenForm,
)
from guanxi.portal.models import PortalAccount
from guanxi.projects.selectors_portal import Phase
from guanxi.service.selectors_portal import TicketStatus

PAGE_SIZE = 20
View = Callable[..., HttpResponseBase]


def portal_view(view: View) -> View:
    """Resolve the acting portal account once; domain errors become 404/403 pages in the
    portal's own frame."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.is_portal_actor(request.user):
            raise DjangoPermissionDenied
        account = selectors.account_of(request.user)
        if account is None:
            return render(request, "portal/no_account.html")
        try:
            return view(request, account, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            return render(request, "portal/denied.html", {"message": exc.message}, status=403)

    return wrapper


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- home and projects ----------------------------------------------------------------------


@require_GET
@portal_view
def home(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    return render(
        request, "portal/home.html", {"account": account, **selectors.home(account=account)}
    )


@require_GET
@portal_view
def projects(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    page = _page(request, selectors.projects(account=account))
    return render(request, "portal/projects.html", {"page": page, "phases": Phase})


@require_GET
@portal_view
def project_detail(request: HttpRequest, account: PortalAccount, project_id: int) -> HttpResponse:
    project = selectors.project_get(account=account, project_id=project_id)
    context = {
        "project": project,
        "milestones": list(selectors.milestones(project=project)),
        "deliverables": list(selectors.deliverables(project=project)),
        "documents": list(selectors.project_documents(project=project)),
        "payload": selectors.gantt(project=project),
        "phases": [(value, label, value == project.phase) for value, label in Phase.choices],
    }
    return render(request, "portal/project_detail.html", context)


# --- approvals ------------------------------------------------------------------------------


@require_GET
@portal_view
def approvals(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    context = {
        "changes": list(selectors.change_requests(account=account)[:50]),
        "deliverables": list(
            selectors.deliverables_to_accept(account=account).prefetch_related(None)[:50]
        ),
        "account": account,
    }
    return render(request, "portal/approvals.html", context)


def _decision_page(
    request: HttpRequest,
    account: PortalAccount,
    *,
    name: str,
    record: Any,
    decide: Callable[[bool, str], Any],
    template: str,
    done: str,
    rename: Callable[[str], str] | None = None,
) -> HttpResponse:
    """A record the customer approves or rejects with a comment (a change request, a
    deliverable), in the template's context as ``name``: the form, the decision through
    ``decide``, the page again after it."""
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decide(form.cleaned_data["decision"] == "approve", form.cleaned_data["comment"])
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc, rename=rename)
        else:
            messages.success(request, done)
            return redirect(request.path)
    context = {
        name: record,
        "form": form,
        "account": account,
        # The files staff shared with the company on this record (never internal ones).
        "documents": list(selectors.record_documents(record=record)),
    }
    return render(request, template, context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@portal_view
def change_detail(
    request: HttpRequest, account: PortalAccount, change_request_id: int
) -> HttpResponse:
    change = selectors.change_request_get(account=account, change_request_id=change_request_id)
    return _decision_page(
        request, account, name="change", record=change, template="portal/change_detail.html",
        decide=lambda approve, comment: services.change_request_decide(
            user=request.user, change_request_id=change.pk, approve=approve, comment=comment
        ),
        done=_("您的决定已记录，项目经理会收到通知。"),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@portal_view
def deliverable_detail(
    request: HttpRequest, account: PortalAccount, deliverable_id: int
) -> HttpResponse:
    deliverable = selectors.deliverable_get(account=account, deliverable_id=deliverable_id)
    return _decision_page(
        request, account, name="deliverable", record=deliverable,
        template="portal/deliverable_detail.html",
        decide=lambda accept, reason: services.deliverable_decide(
            user=request.user, deliverable_id=deliverable.pk, accept=accept, reason=reason
        ),
        done=_("您的验收结果已记录，项目经理会收到通知。"),
        rename=lambda name: "comment" if name == "reason" else name,
    )  # fmt: skip


# --- tickets --------------------------------------------------------------------------------


@require_GET
@portal_view
def tickets(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in ("open", *TicketStatus.values) else ""
    page = _page(request, selectors.tickets(account=account, status=status))
    return render(
        request,
        "portal/tickets.html",
        {"page": page, "status": status, "statuses": TicketStatus.choices, "account": account},
    )


@require_http_methods(["GET", "POST"])
@portal_view
def ticket_new(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    services.require_account(request.user, tickets_role=True)
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("file")
        try:
            if upload is not None:
                services.check_file(upload, upload.name)
            ticket = services.ticket_raise(
                user=request.user, subject=data["subject"], category=data["category"],
                description=data["description"],
            )  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            if upload is not None:
                try:
                    services.ticket_attach(
                        user=request.user, ticket_id=ticket.pk, stream=upload, name=upload.name
                    )
                except DomainError as exc:
                    messages.error(request, exc.message)
            messages.success(request, _("工单已提交，我们会尽快处理。"))
            return redirect("portal:ticket", ticket_id=ticket.pk)
    return render(
        request, "portal/ticket_new.html", {"form": form}, status=422 if form.errors else 200
    )


def _ticket_page(
    request: HttpRequest,
    account: PortalAccount,
    ticket_id: int,
    reply_form: ReplyForm | None = None,
    attach_form: AttachForm | None = None,
    status: int = 200,
) -> HttpResponse:
    ticket = selectors.ticket_get(account=account, ticket_id=ticket_id)
    context = {
        "ticket": ticket,
        "messages_": list(selectors.public_messages(ticket=ticket)),
        "attachments": list(selectors.ticket_attachments(ticket=ticket)),
        "promise": selectors.sla_promise(ticket),
        "may_write": account.may_raise_tickets and ticket.status != TicketStatus.CLOSED,
        "reply_form": reply_form or ReplyForm(),
        "attach_form": attach_form or AttachForm(),
        "surveys": [s for s in selectors.open_surveys(account=account).filter(ticket=ticket)],
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


@require_GET
@portal_view
def ticket_detail(request: HttpRequest, account: PortalAccount, ticket_id: int) -> HttpResponse:
    return _ticket_page(request, account, ticket_id)


@require_POST
@portal_view
def ticket_reply(request: HttpRequest, account: PortalAccount, ticket_id: int) -> HttpResponse:
    selectors.ticket_get(account=account, ticket_id=ticket_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_reply(
                user=request.user, ticket_id=ticket_id, body=form.cleaned_data["body"]
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("回复已发送。"))
            return redirect("portal:ticket", ticket_id=ticket_id)
    return _ticket_page(request, account, ticket_id, reply_form=form, status=422)


@require_POST
@portal_view
def ticket_attach(request: HttpRequest, account: PortalAccount, ticket_id: int) -> HttpResponse:
    selectors.ticket_get(account=account, ticket_id=ticket_id)
    form = AttachForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.ticket_attach(
                user=request.user, ticket_id=ticket_id, stream=upload, name=upload.name
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("附件已上传。"))
            return redirect("portal:ticket", ticket_id=ticket_id)
    return _ticket_page(request, account, ticket_id, attach_form=form, status=422)


@require_POST
@portal_view
def ticket_close(request: HttpRequest, account: PortalAccount, ticket_id: int) -> HttpResponse:
    selectors.ticket_get(account=account, ticket_id=ticket_id)
    try:
        services.ticket_close(user=request.user, ticket_id=ticket_id)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("工单已关闭。感谢您的反馈！"))
    return redirect("portal:ticket", ticket_id=ticket_id)


@require_GET
@portal_view
def attachment_download(
    request: HttpRequest, account: PortalAccount, attachment_id: int
) -> FileResponse:
    attachment = selectors.attachment_get(account=account, attachment_id=attachment_id)
    services.attachment_downloaded(
        user=request.user, attachment=attachment, ip=request.META.get("REMOTE_ADDR")
    )
    return file_response(attachment)


@require_GET
@portal_view
def documents(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    """The files staff shared with the company (on its tickets, contracts, projects)."""
    page = _page(request, selectors.documents(account=account))
    rows = [(document, selectors.document_source(document)) for document in page]
    return render(request, "portal/documents.html", {"page": page, "rows": rows})


# --- surveys --------------------------------------------------------------------------------


@require_GET
@portal_view
def surveys(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    page = _page(request, selectors.surveys(account=account))
    return render(request, "portal/surveys.html", {"page": page})


@require_http_methods(["GET", "POST"])
@portal_view
def survey_detail(request: HttpRequest, account: PortalAccount, survey_id: int) -> HttpResponse:
    survey = selectors.survey_get(account=account, survey_id=survey_id)
    low, high = survey.score_range
    form = SurveyForm(request.POST or None, low=low, high=high)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(
                user=request.user, survey_id=survey.pk, score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )  # fmt: skip
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("谢谢您的评价！"))
            return redirect("portal:survey", survey_id=survey.pk)
    context = {"survey": survey, "form": form, "scores": list(range(low, high + 1))}
    return render(request, "portal/survey_detail.html", context, status=422 if form.errors else 200)


# --- portal API tokens ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@portal_view
def tokens(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "new_token": new_token,
        "tokens": list(selectors.tokens_of(account=account)),
    }
    return render(request, "portal/tokens.html", context, status=422 if form.errors else 200)


@require_POST
@portal_view
def token_revoke(request: HttpRequest, account: PortalAccount, token_id: int) -> HttpResponse:
    services.token_revoke(user=request.user, token_id=token_id)
    messages.success(request, _("令牌已撤销。"))
    return redirect("portal:tokens")


# --- invitations, passwords ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: choose a password, and the portal opens (signed in)."""
    try:
        invitation = services.invitation_by_token(token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        return render(request, "portal/accept_closed.html", {"message": exc.message}, status=410)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.invitation_accept(
                token=token, password1=data["password1"], password2=data["password2"],
                name=data["name"],
            )  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            login(request, account.user, backend="guanxi.accounts.backends.ScopedModelBackend")
            messages.success(request, _("欢迎使用客户门户！"))
            return redirect("portal:home")
    return render(
        request, "portal/accept.html", {"form": form, "invitation": invitation},
        status=422 if form.errors else 200,
    )  # fmt: skip


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset_form.html"
    email_template_name = "portal/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = PortalPasswordResetForm
    success_url = reverse_lazy("portal:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("portal:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"


password_reset = PasswordResetView.as_view()
password_reset_done = PasswordResetDoneView.as_view()
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = PasswordResetCompleteView.as_view()


# --- the staff side: portal access of a customer ----------------------------------------------


def _manage_page(request: HttpRequest, customer_id: int, form: InviteForm | None = None,
                 status: int = 200) -> HttpResponse:  # fmt: skip
    customer = customer_selectors.customer_get(actor=request.user, customer_id=customer_id)
    if not permissions.can_change_customer(request.user, customer):
        raise DjangoPermissionDenied
    contacts = [(c.pk, c.name) for c in customer_selectors.contacts_of(customer=customer)]
    context = {
        "customer": customer,
        "accounts": list(selectors.accounts_of_customer(customer_id=customer.pk)),
        "invitations": list(selectors.invitations_of_customer(customer_id=customer.pk)[:20]),
        "form": form or InviteForm(contacts=contacts),
    }
    return render(request, "portal/staff_manage.html", context, status=status)


@require_GET
@staff_required
def manage(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _manage_page(request, customer_id)


@require_POST
@staff_required
def invite(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_selectors.customer_get(actor=request.user, customer_id=customer_id)
    contacts = [(c.pk, c.name) for c in customer_selectors.contacts_of(customer=customer)]
    form = InviteForm(request.POST, contacts=contacts)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitation, _token = services.invitation_create(
                actor=request.user, customer_id=customer.pk, email=data["email"],
                role=data["role"], contact_id=data["contact"],
            )  # fmt: skip
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_domain_errors(
                form, exc, rename=lambda name: "contact" if name == "contact_id" else name
            )
        else:
            messages.success(request, _("邀请已发送到 %(email)s。") % {"email": invitation.email})
            return redirect("portal:manage", customer_id=customer.pk)
    return _manage_page(request, customer.pk, form=form, status=422)


@require_POST
@staff_required
def account_deactivate(request: HttpRequest, account_id: int) -> HttpResponse:
    account = services.account_deactivate(actor=request.user, account_id=account_id)
    messages.success(request, _("门户账号已停用。"))
    return redirect(reverse("portal:manage", args=[account.customer_id]))
