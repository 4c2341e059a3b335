"""The webhook pages for admins: subscriptions, their delivery log, a delivery's tries and
replay. Reads through ``webhooks.selectors``, writes through ``webhooks.services``."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import View, staff_required
from guanxi.core.db.paging import paginate
from guanxi.core.errors import Conflict, DomainError, ValidationFailed
from guanxi.core.forms import VersionForm, add_domain_errors
from guanxi.webhooks import selectors, services
from guanxi.webhooks.events import all_events
from guanxi.webhooks.forms import DeliveryFilterForm, SubscriptionForm

PAGE_SIZE = 50
INPUT_ERRORS = (ValidationFailed, Conflict)


def admin_required(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not permissions.can_manage_settings(request.user):
            raise DjangoPermissionDenied(_("只有管理员可以管理 Webhook。"))
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except (TypeError, ValueError):
        return 1


@require_GET
@admin_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.subscription_list(actor=request.user))
    return render(request, "webhooks/subscription_list.html", {"subscriptions": rows})


def _form_page(
    request: HttpRequest, form: SubscriptionForm, subscription: Any = None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "subscription": subscription, "events": all_events()}
    return render(request, "webhooks/subscription_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@admin_required
def subscription_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, SubscriptionForm())
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        try:
            subscription = services.subscription_create(
                actor=request.user, data=form.service_data()
            )
        except INPUT_ERRORS as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("订阅“%(name)s”已创建。") % {"name": subscription.name})
            return redirect("webhooks:detail", subscription.pk)
    return _form_page(request, form, status=422)


@require_http_methods(["GET", "POST"])
@admin_required
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscription_get(actor=request.user, subscription_id=pk)
    if request.method != "POST":
        return _form_page(request, SubscriptionForm.for_subscription(subscription), subscription)
    form = SubscriptionForm(request.POST, editing=True)
    if form.is_valid():
        try:
            services.subscription_update(
                actor=request.user,
                subscription_id=subscription.pk,
                data=form.service_data(),
                version=form.cleaned_data["version"],
            )
        except INPUT_ERRORS as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("订阅已保存。"))
            return redirect("webhooks:detail", subscription.pk)
    return _form_page(request, form, subscription, status=422)


@require_POST
@admin_required
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscription_get(actor=request.user, subscription_id=pk)
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        services.subscription_delete(
            actor=request.user, subscription_id=subscription.pk, version=version
        )
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("webhooks:detail", subscription.pk)
    messages.success(request, _("订阅“%(name)s”已删除。") % {"name": subscription.name})
    return redirect("webhooks:list")


@require_GET
@admin_required
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscription_get(actor=request.user, subscription_id=pk)
    filters = DeliveryFilterForm(request.GET)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    qs = selectors.deliveries(actor=request.user, subscription_id=subscription.pk, status=status)
    page = paginate(qs, page=_page_number(request), size=PAGE_SIZE)
    labels = {e.key: e.label for e in all_events()}
    context = {
        "subscription": subscription,
        "event_labels": [(key, labels.get(key, key)) for key in subscription.events],
        "page": page,
        "filters": filters,
        "status": status,
    }
    return render(request, "webhooks/subscription_detail.html", context)


@require_GET
@admin_required
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get(actor=request.user, delivery_id=pk)
    context = {
        "delivery": delivery,
        "subscription": delivery.subscription,
        "body": services.request_body(delivery).decode(),
    }
    return render(request, "webhooks/delivery_detail.html", context)


@require_POST
@admin_required
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get(actor=request.user, delivery_id=pk)
    try:
        replay = services.delivery_replay(actor=request.user, delivery_id=delivery.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已重新排队投递（新投递 %(id)s）。") % {"id": str(replay.uuid)[:8]}
        )
    return redirect("webhooks:detail", delivery.subscription_id)
