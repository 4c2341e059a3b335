"""The web UI of notifications: "my day" (the home page), the inbox, the bell and the
preferences. Thin: parse, call one selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from guanxi.accounts.decorators import staff_required
from guanxi.core.db.keyset import Cursor
from guanxi.core.errors import ValidationFailed
from guanxi.core.htmx import htmx
from guanxi.notifications import selectors, services
from guanxi.notifications.registry import Channel, kind_label

INBOX_PAGE_SIZE = 25


@require_GET
@staff_required
def my_day(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    sections = selectors.my_day(actor=request.user, today=today)
    unread, capped = selectors.unread_count(actor=request.user)
    latest = list(selectors.inbox(actor=request.user, unread=True)[:5])
    return render(
        request,
        "notifications/my_day.html",
        {
            "today": today,
            "sections": sections,
            "unread": unread,
            "unread_capped": capped,
            "latest": latest,
        },
    )


@require_GET
@staff_required
def bell(request: HttpRequest) -> HttpResponse:
    """The bell's badge (polled by ``base.html``)."""
    unread, capped = selectors.unread_count(actor=request.user)
    return render(
        request, "notifications/bell.html#badge", {"unread": unread, "unread_capped": capped}
    )


def _cursor(request: HttpRequest, name: str) -> Cursor | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        return Cursor.parse(raw)
    except ValueError:
        messages.warning(
            request, _("分页位置（%(name)s）无效，已显示最新的通知。") % {"name": name}
        )
        return None


@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = selectors.inbox_page(
        actor=request.user,
        unread=unread_only,
        size=INBOX_PAGE_SIZE,
        before=_cursor(request, "before"),
        after=_cursor(request, "after"),
    )
    rows = [(n, kind_label(n.kind)) for n in page.items]
    unread, capped = selectors.unread_count(actor=request.user)
    context = {
        "page": page,
        "rows": rows,
        "unread_only": unread_only,
        "unread": unread,
        "unread_capped": capped,
    }
    template = "notifications/inbox.html"
    if htmx(request) and htmx(request).target == "inbox-list":
        template += "#list"
    return render(request, template, context)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_POST
@staff_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    read = request.POST.get("read", "1") != "0"
    row = services.notification_mark_read(actor=request.user, notification_id=pk, read=read)
    if htmx(request):
        context = {"n": row, "label": kind_label(row.kind)}
        response = render(request, "notifications/inbox.html#row", context)
        return trigger_client_event(response, "gx:unread")
    return redirect(_safe_next(request, "notifications:inbox"))


@require_GET
@staff_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    row = services.notification_mark_read(actor=request.user, notification_id=pk)
    target = row.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notifications:inbox")
    return redirect(target)


@require_POST
@staff_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    n = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": n})
    return redirect(_safe_next(request, "notifications:inbox"))


@require_http_methods(["GET", "POST"])
@staff_required
def preferences(request: HttpRequest) -> HttpResponse:
    rows = selectors.preferences(actor=request.user)
    errors: list[str] = []
    if request.method == "POST":
        choices = {
            (row.kind, channel): f"{row.kind}:{channel}" in request.POST
            for row in rows
            for channel in Channel.ALL
            if channel not in row.locked
        }
        try:
            services.preferences_set(actor=request.user, choices=choices)
        except ValidationFailed as exc:
            errors = [m for msgs in exc.errors.values() for m in msgs]
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notifications:preferences")
    channels = [(c, Channel.LABELS[c]) for c in Channel.ALL]
    return render(
        request,
        "notifications/preferences.html",
        {"rows": rows, "channels": channels, "errors": errors},
    )
