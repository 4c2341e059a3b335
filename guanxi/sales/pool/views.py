"""The pool pages: the pools, one pool's customers (claim, assign; paged, searchable), its
history and its settings (admins), and the return / lock actions of the 360 panel. Reads
through ``pool.selectors``, writes through ``pool.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.accounts.models import User
from guanxi.core.db.paging import paginate
from guanxi.core.errors import DomainError
from guanxi.core.forms import add_domain_errors
from guanxi.core.htmx import htmx_target
from guanxi.sales.models_pool import PoolMember, PoolRule
from guanxi.sales.pool import access, selectors, services
from guanxi.sales.pool.forms import (
    AssignForm,
    MemberForm,
    PoolForm,
    ReturnForm,
    RuleEditForm,
    RuleForm,
)

PAGE_SIZE = 25


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


def _members(pool: Any) -> list[User]:
    ids = PoolMember.objects.filter(pool=pool).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("username"))


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


@require_GET
@staff_required
def pool_list(request: HttpRequest) -> HttpResponse:
    if not access.may_see_pools(request.user):
        raise DjangoPermissionDenied
    context = {"pools": list(selectors.pools(actor=request.user)),
               "member": access.may_use_pools(request.user),
               "can_create": access.runs_every_pool(request.user)}  # fmt: skip
    return render(request, "sales/pool/pool_list.html", context)


@require_GET
@staff_required
def pool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pool = selectors.pool_get(actor=request.user, pool_id=pk)
    q = request.GET.get("q", "")[: selectors.MAX_QUERY]
    page = paginate(selectors.pool_customers(actor=request.user, pool=pool, q=q),
                    page=_page_number(request), size=PAGE_SIZE)  # fmt: skip
    is_admin = access.is_admin(request.user, pool)
    context = {
        "pool": pool,
        "page": page,
        "rows": selectors.as_seen(pool, page.items),
        "q": q,
        "is_admin": is_admin,
        "can_claim": access.is_member(request.user, pool)
        and permissions.holds_customers(getattr(request.user, "role", "")),
        "members": _members(pool) if is_admin else [],
    }
    template = "sales/pool/pool_detail.html"
    if htmx_target(request) == "pool-customers":  # the search: the table alone
        template += "#customers"
    return render(request, template, context)


@require_POST
@staff_required
def pool_claim(request: HttpRequest, pk: int, customer_id: int) -> HttpResponse:
    try:
        customer = services.pool_claim(actor=request.user, pool_id=pk, customer_id=customer_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        _error(request, exc)
    else:
        messages.success(request, _("已领取客户“%(name)s”。") % {"name": customer.name})
    return redirect("sales:pool:detail", pk)


@require_POST
@staff_required
def pool_assign(request: HttpRequest, pk: int, customer_id: int) -> HttpResponse:
    pool = selectors.pool_get(actor=request.user, pool_id=pk)
    form = AssignForm(request.POST, users=_members(pool))
    if not form.is_valid():
        messages.error(request, _("请选择要分配的成员。"))
        return redirect("sales:pool:detail", pk)
    try:
        customer = services.pool_assign(actor=request.user, pool_id=pk, customer_id=customer_id,
                                        user_id=form.cleaned_data["user"])  # fmt: skip
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        _error(request, exc)
    else:
        messages.success(request, _("已分配客户“%(name)s”。") % {"name": customer.name})
    return redirect("sales:pool:detail", pk)


@require_GET
@staff_required
def pool_history(request: HttpRequest, pk: int) -> HttpResponse:
    pool = selectors.pool_get(actor=request.user, pool_id=pk)
    page = paginate(selectors.pool_history(actor=request.user, pool=pool),
                    page=_page_number(request), size=50)  # fmt: skip
    context = {"pool": pool, "page": page, "is_admin": access.is_admin(request.user, pool)}
    return render(request, "sales/pool/pool_history.html", context)


def _settings_context(request: HttpRequest, pool: Any, **forms: Any) -> dict[str, Any]:
    member_ids = set(PoolMember.objects.filter(pool=pool).values_list("user_id", flat=True))
    candidates = permissions.users_visible_to(request.user, User.objects.all()).order_by("username")
    return {
        "pool": pool,
        "form": forms.get("form") or PoolForm(instance=pool, initial={"version": pool.version}),
        "rule_form": forms.get("rule_form") or RuleForm(),
        "member_form": forms.get("member_form")
        or MemberForm(users=[u for u in candidates if u.pk not in member_ids]),
        "rules": list(pool.rules.order_by("id")),
        "members": list(
            PoolMember.objects.filter(pool=pool).select_related("user").order_by("user__username")
        ),
    }


def _admin_pool(request: HttpRequest, pk: int) -> Any:
    pool = selectors.pool_get(actor=request.user, pool_id=pk)
    if not access.is_admin(request.user, pool):
        raise DjangoPermissionDenied
    return pool


@require_http_methods(["GET", "POST"])
@staff_required
def pool_settings(request: HttpRequest, pk: int) -> HttpResponse:
    pool = _admin_pool(request, pk)
    form = PoolForm(request.POST or None, instance=pool, initial={"version": pool.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.pool_update(
                actor=request.user,
                pool_id=pk,
                data=form.service_data(),
                version=form.cleaned_data["version"],
                team_ids=form.team_ids(),
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("公海池设置已保存。"))
            return redirect("sales:pool:settings", pk)
    pool.refresh_from_db()
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/pool/pool_settings.html",
                  _settings_context(request, pool, form=form if request.method == "POST" else None),
                  status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def pool_new(request: HttpRequest) -> HttpResponse:
    if not access.runs_every_pool(request.user):
        raise DjangoPermissionDenied
    form = PoolForm(request.POST or None, new=True)
    if request.method == "POST" and form.is_valid():
        try:
            pool = services.pool_create(actor=request.user, data=form.service_data(),
                                        team_ids=form.team_ids())  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("公海池已创建。"))
            return redirect("sales:pool:settings", pool.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/pool/pool_new.html", {"form": form}, status=status)


@require_POST
@staff_required
def rule_add(request: HttpRequest, pk: int) -> HttpResponse:
    pool = _admin_pool(request, pk)
    form = RuleForm(request.POST)
    if form.is_valid():
        try:
            services.pool_rule_create(actor=request.user, pool_id=pk, data=form.service_data())
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("规则已添加。"))
            return redirect("sales:pool:settings", pk)
    return render(request, "sales/pool/pool_settings.html",
                  _settings_context(request, pool, rule_form=form), status=422)  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def rule_edit(request: HttpRequest, pk: int, rule_id: int) -> HttpResponse:
    pool = _admin_pool(request, pk)
    rule = get_object_or_404(pool.rules, pk=rule_id)  # scoped: the admin's pool
    form = RuleEditForm(request.POST or None, instance=rule, initial={"version": rule.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.pool_rule_update(actor=request.user, rule_id=rule_id, pool_id=pool.pk,
                                      data=form.service_data(),
                                      version=form.cleaned_data["version"])  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("规则已保存。"))
            return redirect("sales:pool:settings", pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/pool/pool_rule_edit.html",
                  {"pool": pool, "rule": rule, "form": form}, status=status)  # fmt: skip


@require_POST
@staff_required
def rule_delete(request: HttpRequest, pk: int, rule_id: int) -> HttpResponse:
    _admin_pool(request, pk)
    if not PoolRule.objects.filter(pk=rule_id, pool_id=pk).exists():
        raise DjangoPermissionDenied
    services.pool_rule_delete(actor=request.user, rule_id=rule_id)
    messages.success(request, _("规则已删除。"))
    return redirect("sales:pool:settings", pk)


@require_POST
@staff_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    pool = _admin_pool(request, pk)
    users = permissions.users_visible_to(request.user, User.objects.all())
    form = MemberForm(request.POST, users=users)
    if form.is_valid():
        try:
            services.pool_member_set(
                actor=request.user, pool_id=pk, user_id=form.cleaned_data["user"],
                is_admin=form.cleaned_data["is_admin"],
            )  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc, rename=lambda n: "user" if n == "user_id" else n)
        else:
            messages.success(request, _("成员已添加。"))
            return redirect("sales:pool:settings", pk)
    return render(request, "sales/pool/pool_settings.html",
                  _settings_context(request, pool, member_form=form), status=422)  # fmt: skip


@require_POST
@staff_required
def member_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    _admin_pool(request, pk)
    services.pool_member_remove(actor=request.user, pool_id=pk, user_id=user_id)
    messages.success(request, _("成员已移除。"))
    return redirect("sales:pool:settings", pk)


@require_POST
@staff_required
def customer_return(request: HttpRequest, customer_id: int) -> HttpResponse:
    form = ReturnForm(request.POST, pools=selectors.returnable_pools(actor=request.user))
    if not form.is_valid():
        messages.error(request, _("请选择要退回的公海池。"))
        return redirect("customers:detail", customer_id)
    try:
        services.pool_return(
            actor=request.user,
            pool_id=form.cleaned_data["pool"],
            customer_id=customer_id,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        _error(request, exc)
        return redirect("customers:detail", customer_id)
    messages.success(request, _("客户已退回公海。"))
    return redirect("sales:pool:detail", form.cleaned_data["pool"])


@require_POST
@staff_required
def customer_lock(request: HttpRequest, customer_id: int) -> HttpResponse:
    locked = request.POST.get("locked") == "1"
    services.pool_customer_set_locked(actor=request.user, customer_id=customer_id, locked=locked)
    messages.success(request, _("客户已锁定。") if locked else _("客户已解除锁定。"))
    return redirect("customers:detail", customer_id)
