"""The mailbox settings pages (admins): the company mailboxes polled by IMAP, a new one, and
editing or switching one off. Reads through ``service.selectors``, writes through
``services.mailboxes``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.core.errors import Conflict, DomainError
from guanxi.core.forms import VersionForm, add_domain_errors
from guanxi.service import selectors
from guanxi.service.forms import MailboxForm
from guanxi.service.services import mailboxes

LIST = "service/mailbox_list.html"
EDIT = "service/mailbox_form.html"


def _may_manage(request: HttpRequest) -> None:
    if not permissions.can_manage_settings(request.user):
        raise DjangoPermissionDenied


@require_http_methods(["GET", "POST"])
@staff_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    """The mailboxes with their last poll, and the form for a new one."""
    _may_manage(request)
    form = MailboxForm(request.POST or None, teams=selectors.departments())
    if request.method == "POST" and form.is_valid():
        try:
            mailbox = mailboxes.mailbox_create(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("收件邮箱“%(name)s”已添加。") % {"name": mailbox.name})
            return redirect("service:mailboxes")
    context = {"mailboxes": list(selectors.mailbox_list(actor=request.user)), "form": form}
    return render(request, LIST, context, status=422 if form.errors else 200)


def _initial(mailbox: Any) -> dict[str, Any]:
    return {name: getattr(mailbox, name) for name in mailboxes.SETTINGS_FIELDS}


@require_http_methods(["GET", "POST"])
@staff_required
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_manage(request)
    mailbox = selectors.mailbox_get(actor=request.user, mailbox_id=pk)
    form = MailboxForm(
        request.POST or None, initial=_initial(mailbox), teams=selectors.departments()
    )
    if request.method == "POST":
        version = VersionForm(request.POST)
        if form.is_valid() and version.is_valid():
            try:
                mailboxes.mailbox_update(
                    actor=request.user, mailbox_id=pk, data=form.cleaned_data,
                    version=version.cleaned_data["version"],
                )  # fmt: skip
            except DomainError as exc:
                if isinstance(exc, Conflict):
                    messages.error(request, exc.message)
                    return redirect("service:mailbox_edit", pk)
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("收件邮箱已保存。"))
                return redirect("service:mailboxes")
    return render(request, EDIT, {"mailbox": mailbox, "form": form},
                  status=422 if form.errors else 200)  # fmt: skip


@require_POST
@staff_required
def mailbox_switch(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a mailbox off (polling stops) or on again."""
    _may_manage(request)
    version = VersionForm(request.POST)
    if not version.is_valid():
        messages.error(request, _("请求无效，请刷新页面后重试。"))
        return redirect("service:mailboxes")
    try:
        mailbox = mailboxes.mailbox_update(
            actor=request.user, mailbox_id=pk, data={"active": request.POST.get("active") == "1"},
            version=version.cleaned_data["version"],
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = _("收件邮箱已启用。") if mailbox.active else _("收件邮箱已停用，不再收取邮件。")
        messages.success(request, done)
    return redirect("service:mailboxes")
