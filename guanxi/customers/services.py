"""Writes of the customer record. Every function validates, writes in one transaction,
audits (actor, UTC time, old → new) and adds the timeline entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import scope
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.cleaning import CleaningError, normalize_phone
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import VersionedModel
from guanxi.core.search import pinyin_keys, search_text
from guanxi.customers.keys import stored_name_key
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomFieldDefinition,
    CustomFieldType,
    Order,
    OrderLine,
    OrderStatus,
    Preference,
    Product,
    Tag,
)
from guanxi.customers.timeline import (
    ChoiceLabel,
    FieldLabels,
    TimelineText,
    timeline_add,
    timeline_refresh,
)

M = TypeVar("M", bound=models.Model)

CUSTOMER_FIELDS = frozenset(
    {
        "kind", "name", "industry", "size", "province", "city", "address", "source", "status",
        "since", "phone", "email", "website", "notes", "custom_fields",
    }
)  # fmt: skip
CONTACT_FIELDS = frozenset(
    {
        "name", "title", "phone", "mobile", "email", "wechat", "birthday", "preferred_channel",
        "consent_marketing", "is_primary", "notes",
    }
)  # fmt: skip
PREFERENCE_FIELDS = frozenset({"category", "key", "value", "note"})
COMMUNICATION_FIELDS = frozenset(
    {"contact_id", "channel", "direction", "occurred_at", "summary", "next_follow_up",
     "follow_up_done"}
)  # fmt: skip
PRODUCT_FIELDS = frozenset({"code", "name", "category", "unit_price", "active"})
MAX_AMOUNT = Decimal("999999999999.99")


# --- helpers ---------------------------------------------------------------------------


def _reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed({name: _("未知字段。") for name in unknown})


def _full_clean(obj: models.Model, exclude: Sequence[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc


def _check_version(obj: VersionedModel, expected: int | None) -> None:
    current = obj.version
    if expected is not None and expected != current:
        raise Conflict(
            _("该记录已被他人修改（当前版本 %(current)s，提交版本 %(expected)s），请刷新后重试。")
            % {"current": current, "expected": expected},
            field="version",
        )


def _phone_key(value: str, field: str) -> str:
    if not value:
        return ""
    try:
        return normalize_phone(value)
    except CleaningError as exc:
        raise ValidationFailed(
            {field: _("电话号码格式不正确：%(value)s") % {"value": value}}
        ) from exc


def _lock_customer(actor: Any, customer_id: int, *, for_communication: bool = False) -> Customer:
    """Fetch a customer the actor may see, locked for update; 404 if not visible,
    403 if visible but not changeable."""
    qs = scope.scope_customers(actor, Customer.objects.select_for_update())
    try:
        customer = qs.get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("客户不存在。"), field="customer_id") from None
    allowed = (
        scope.can_log_communication(actor, customer)
        if for_communication
        else scope.can_change_customer(actor, customer)
    )
    if not allowed:
        raise PermissionDenied(_("你没有修改该客户的权限。"))
    return customer


def _validate_custom_fields(values: Any) -> dict[str, Any]:
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ValidationFailed({"custom_fields": _("必须是键值对象。")})
    definitions = {d.key: d for d in CustomFieldDefinition.objects.filter(active=True)}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, raw in values.items():
        field = f"custom_fields.{key}"
        definition = definitions.get(key)
        if definition is None:
            errors[field] = _("未定义的自定义字段。")
            continue
        if raw in (None, ""):
            continue
        if definition.field_type == CustomFieldType.TEXT:
            if not isinstance(raw, str) or len(raw) > 500:
                errors[field] = _("必须是不超过 500 字的文本。")
                continue
            clean[key] = raw
        elif definition.field_type == CustomFieldType.NUMBER:
            try:
                number = Decimal(str(raw))
            except InvalidOperation:
                errors[field] = _("必须是数字。")
                continue
            if isinstance(raw, bool) or not number.is_finite() or abs(number) > MAX_AMOUNT:
                errors[field] = _("必须是数字。")
                continue
            clean[key] = str(number)
        elif definition.field_type == CustomFieldType.DATE:
            try:
                clean[key] = dt.date.fromisoformat(str(raw)).isoformat()
            except ValueError:
                errors[field] = _("必须是日期（YYYY-MM-DD）。")
        elif definition.field_type == CustomFieldType.CHOICE:
            if raw not in definition.choices:
                errors[field] = _("必须是以下之一：%(choices)s") % {
                    "choices": "、".join(map(str, definition.choices))
                }
                continue
            clean[key] = raw
    for key, definition in definitions.items():
        if definition.required and key not in clean:
            errors.setdefault(f"custom_fields.{key}", _("此字段必填。"))
    if errors:
        raise ValidationFailed(errors)
    return clean


def _apply(obj: models.Model, data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        setattr(obj, key, "" if value is None and _is_text(obj, key) else value)


def _is_text(obj: models.Model, name: str) -> bool:
    try:
        field = obj._meta.get_field(name)
    except Exception:
        return False
    return isinstance(field, models.CharField | models.TextField)


def refresh_customer_keys(customer: Customer) -> None:
    """Derived search keys (pinyin, initials, name key, phone key); also used by the admin."""
    customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)
    customer.name_pinyin = customer.name_pinyin[:200]
    customer.name_initials = customer.name_initials[:100]
    customer.name_key = stored_name_key(customer.name)
    customer.search_text = search_text(customer.name, customer.email)
    customer.phone_key = _phone_key(customer.phone, "phone")
    customer.email = customer.email.strip().lower()


def _resolve_tags(actor: Any, tag_names: Iterable[str] | None) -> list[Tag]:
    if tag_names is None:
        return []
    names = []
    for raw in tag_names:
        name = str(raw).strip()
        if not name or len(name) > 50:
            raise ValidationFailed({"tags": _("标签须为 1–50 个字符。")})
        names.append(name)
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name] = Tag.objects.create(name=name)
            audit.audit_create(actor=actor, obj=existing[name])
    return [existing[n] for n in dict.fromkeys(names)]


def _resolve_owner(actor: Any, owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    owner = scope.users_visible_to(actor, User.objects.all()).filter(pk=owner_id).first()
    if owner is None:
        raise ValidationFailed({"owner_id": _("用户不存在。")})
    return owner


# --- customers -------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    owner_id: int | None = None,
    tags: Iterable[str] | None = None,
) -> Customer:
    if not scope.can_create_customer(actor):
        raise PermissionDenied(_("你没有新建客户的权限。"))
    _reject_unknown(data, CUSTOMER_FIELDS)
    owner = actor
    if owner_id is not None and owner_id != actor.pk:
        if not scope.can_assign_owner(actor):
            raise PermissionDenied(_("只有经理或管理员可以指定客户经理。"), field="owner_id")
        owner = _resolve_owner(actor, owner_id)
    customer = Customer(owner=owner, team_id=owner.team_id if owner else None, created_by=actor)
    _apply(customer, data)
    customer.custom_fields = _validate_custom_fields(data.get("custom_fields"))
    if customer.since is None:
        customer.since = timezone.localdate()
    _full_clean(customer, exclude=["owner", "team", "created_by"])
    refresh_customer_keys(customer)
    customer.save()
    tag_objs = _resolve_tags(actor, tags)
    if tag_objs:
        customer.tags.set(tag_objs)
    audit.audit_create(
        actor=actor,
        obj=customer,
        customer_id=customer.pk,
    )
    if tag_objs:
        audit.record(
            actor=actor,
            action="update",
            obj=customer,
            changes={"tags": [[], [t.name for t in tag_objs]]},
            customer_id=customer.pk,
        )
    timeline_add(
        customer_id=customer.pk,
        kind="customer",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("新建客户 %(name)s"), {"name": customer.name}),
        actor=actor,
        subject=customer,
    )
    return customer


@transaction.atomic
def customer_update(
    *,
    actor: Any,
    customer_id: int,
    data: Mapping[str, Any],
    version: int | None = None,
    owner_id: int | None = None,
    tags: Iterable[str] | None = None,
) -> Customer:
    customer = _lock_customer(actor, customer_id)
    _check_version(customer, version)
    _reject_unknown(data, CUSTOMER_FIELDS)
    before = audit.snapshot(customer)
    before_tags = sorted(customer.tags.values_list("name", flat=True))
    _apply(customer, data)
    if "custom_fields" in data:
        customer.custom_fields = _validate_custom_fields(data["custom_fields"])
    if owner_id is not None and owner_id != customer.owner_id:
        if not scope.can_assign_owner(actor):
            raise PermissionDenied(_("只有经理或管理员可以更换客户经理。"), field="owner_id")
        new_owner = _resolve_owner(actor, owner_id)
        customer.owner = new_owner
        customer.team_id = new_owner.team_id if new_owner else None
    _full_clean(customer, exclude=["owner", "team", "created_by"])
    refresh_customer_keys(customer)
    extra: dict[str, list[Any]] = {}
    if tags is not None:
        tag_objs = _resolve_tags(actor, tags)
        after_tags = sorted(t.name for t in tag_objs)
        if after_tags != before_tags:
            customer.tags.set(tag_objs)
            extra["tags"] = [before_tags, after_tags]
    changes = audit.diff(before, audit.snapshot(customer, before.keys()))
    changes.update(extra)
    if not changes:
        return customer
    customer.version += 1
    customer.save()
    audit.audit_update(
        actor=actor, obj=customer, before=before, customer_id=customer.pk, extra=extra
    )
    timeline_add(
        customer_id=customer.pk,
        kind="change",
        occurred_at=timezone.now(),
        title=TimelineText(
            gettext_noop("修改了 %(fields)s"), {"fields": FieldLabels.of(Customer, changes)}
        ),
        actor=actor,
        subject=customer,
        data={"changes": changes},
    )
    return customer


@transaction.atomic
def customer_delete(*, actor: Any, customer_id: int, version: int | None = None) -> None:
    customer = _lock_customer(actor, customer_id)
    _check_version(customer, version)
    if customer.orders.exists():
        raise Conflict(_("该客户有订单，不能删除；可将状态改为“流失”。"), field="orders")
    # The cascade removes these rows too; each leaves its own audit entry like a direct delete.
    for related in (customer.contacts, customer.preferences, customer.communications):
        for child in related.all():
            audit.audit_delete(actor=actor, obj=child, customer_id=customer.pk)
    audit.audit_delete(actor=actor, obj=customer, customer_id=customer.pk)
    customer.delete()


# --- contacts --------------------------------------------------------------------------


def refresh_contact_keys(contact: Contact) -> None:
    contact.phone_key = _phone_key(contact.phone, "phone")
    contact.mobile_key = _phone_key(contact.mobile, "mobile")
    contact.email = contact.email.strip().lower()


@transaction.atomic
def contact_create(*, actor: Any, customer_id: int, data: Mapping[str, Any]) -> Contact:
    customer = _lock_customer(actor, customer_id)
    _reject_unknown(data, CONTACT_FIELDS)
    contact = Contact(customer=customer)
    _apply(contact, data)
    if "consent_marketing" in data:
        contact.consent_updated_at = timezone.now()
    _full_clean(contact, exclude=["customer"])
    refresh_contact_keys(contact)
    contact.save()
    audit.audit_create(actor=actor, obj=contact, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="contact",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("新增联系人 %(name)s"), {"name": contact.name}),
        actor=actor,
        subject=contact,
    )
    return contact


def _lock_child(actor: Any, model: type[M], pk: int, **kw: Any) -> tuple[M, Customer]:
    row = model._default_manager.filter(pk=pk).values_list("customer_id", flat=True).first()
    if row is None:
        raise NotFound(_("记录不存在。"))
    try:
        customer = _lock_customer(actor, row, **kw)
    except NotFound:
        # The same answer as for a missing row: a hidden record's id must not be probeable.
        raise NotFound(_("记录不存在。")) from None
    obj = model._default_manager.select_for_update().get(pk=pk)
    return obj, customer


@transaction.atomic
def contact_update(
    *, actor: Any, contact_id: int, data: Mapping[str, Any], version: int | None = None
) -> Contact:
    contact, customer = _lock_child(actor, Contact, contact_id)
    _check_version(contact, version)
    _reject_unknown(data, CONTACT_FIELDS)
    before = audit.snapshot(contact)
    _apply(contact, data)
    if "consent_marketing" in data and before["consent_marketing"] != contact.consent_marketing:
        contact.consent_updated_at = timezone.now()
    _full_clean(contact, exclude=["customer"])
    refresh_contact_keys(contact)
    if not audit.diff(before, audit.snapshot(contact, before.keys())):
        return contact
    contact.version += 1
    contact.save()
    audit.audit_update(actor=actor, obj=contact, before=before, customer_id=customer.pk)
    return contact


@transaction.atomic
def contact_delete(*, actor: Any, contact_id: int, version: int | None = None) -> None:
    contact, customer = _lock_child(actor, Contact, contact_id)
    _check_version(contact, version)
    audit.audit_delete(actor=actor, obj=contact, customer_id=customer.pk)
    contact.delete()


# --- preferences -----------------------------------------------------------------------


@transaction.atomic
def preference_create(*, actor: Any, customer_id: int, data: Mapping[str, Any]) -> Preference:
    customer = _lock_customer(actor, customer_id)
    _reject_unknown(data, PREFERENCE_FIELDS)
    pref = Preference(customer=customer)
    _apply(pref, data)
    _full_clean(pref, exclude=["customer"])
    if Preference.objects.filter(customer=customer, category=pref.category, key=pref.key).exists():
        raise Conflict(_("该客户已有同类同名的偏好。"), field="key")
    pref.save()
    audit.audit_create(actor=actor, obj=pref, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="preference",
        occurred_at=timezone.now(),
        title=TimelineText(
            gettext_noop("记录偏好：%(key)s = %(value)s"), {"key": pref.key, "value": pref.value}
        ),
        actor=actor,
        subject=pref,
    )
    return pref


@transaction.atomic
def preference_update(
    *, actor: Any, preference_id: int, data: Mapping[str, Any], version: int | None = None
) -> Preference:
    pref, customer = _lock_child(actor, Preference, preference_id)
    _check_version(pref, version)
    _reject_unknown(data, PREFERENCE_FIELDS)
    before = audit.snapshot(pref)
    _apply(pref, data)
    _full_clean(pref, exclude=["customer"])
    if not audit.diff(before, audit.snapshot(pref, before.keys())):
        return pref
    pref.version += 1
    try:
        with transaction.atomic():
            pref.save()
    except IntegrityError as exc:
        raise Conflict(_("该客户已有同类同名的偏好。"), field="key") from exc
    audit.audit_update(actor=actor, obj=pref, before=before, customer_id=customer.pk)
    return pref


@transaction.atomic
def preference_delete(*, actor: Any, preference_id: int, version: int | None = None) -> None:
    pref, customer = _lock_child(actor, Preference, preference_id)
    _check_version(pref, version)
    audit.audit_delete(actor=actor, obj=pref, customer_id=customer.pk)
    pref.delete()


# --- communications --------------------------------------------------------------------


def _check_contact_belongs(contact_id: Any, customer: Customer) -> None:
    if (
        contact_id is not None
        and not Contact.objects.filter(pk=contact_id, customer=customer).exists()
    ):
        raise ValidationFailed({"contact_id": _("联系人不属于该客户。")})


def _communication_timeline(comm: Communication) -> dict[str, Any]:
    """What a communication's timeline entry shows; written on create, rewritten on edit."""
    return {
        "occurred_at": comm.occurred_at,
        "title": TimelineText(
            gettext_noop("%(channel)s · %(direction)s"),
            {"channel": ChoiceLabel.of(comm, "channel"),
             "direction": ChoiceLabel.of(comm, "direction")},
        ),
        "body": comm.summary,
        "data": {
            "channel": comm.channel,
            "next_follow_up": comm.next_follow_up.isoformat() if comm.next_follow_up else None,
            "follow_up_done": comm.follow_up_done,
        },
    }  # fmt: skip


@transaction.atomic
def communication_create(*, actor: Any, customer_id: int, data: Mapping[str, Any]) -> Communication:
    customer = _lock_customer(actor, customer_id, for_communication=True)
    _reject_unknown(data, COMMUNICATION_FIELDS)
    _check_contact_belongs(data.get("contact_id"), customer)
    comm = Communication(customer=customer, staff=actor)
    _apply(comm, data)
    if comm.occurred_at is None:
        comm.occurred_at = timezone.now()
    _full_clean(comm, exclude=["customer", "staff", "contact"])
    comm.save()
    audit.audit_create(actor=actor, obj=comm, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="communication",
        actor=actor,
        subject=comm,
        **_communication_timeline(comm),
    )
    return comm


@transaction.atomic
def communication_update(
    *, actor: Any, communication_id: int, data: Mapping[str, Any], version: int | None = None
) -> Communication:
    comm, customer = _lock_child(actor, Communication, communication_id, for_communication=True)
    _check_version(comm, version)
    _reject_unknown(data, COMMUNICATION_FIELDS)
    _check_contact_belongs(data.get("contact_id"), customer)
    before = audit.snapshot(comm)
    _apply(comm, data)
    _full_clean(comm, exclude=["customer", "staff", "contact"])
    if not audit.diff(before, audit.snapshot(comm, before.keys())):
        return comm
    comm.version += 1
    comm.save()
    audit.audit_update(actor=actor, obj=comm, before=before, customer_id=customer.pk)
    timeline_refresh(subject=comm, kind="communication", **_communication_timeline(comm))
    return comm


# --- products & orders -----------------------------------------------------------------


@transaction.atomic
def product_create(*, actor: Any, data: Mapping[str, Any]) -> Product:
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以维护产品目录。"))
    _reject_unknown(data, PRODUCT_FIELDS)
    product = Product()
    _apply(product, data)
    _full_clean(product)
    if Product.objects.filter(code=product.code).exists():
        raise Conflict(_("产品编码已存在。"), field="code")
    product.save()
    audit.audit_create(actor=actor, obj=product)
    return product


@transaction.atomic
def product_update(
    *, actor: Any, product_id: int, data: Mapping[str, Any], version: int | None = None
) -> Product:
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以维护产品目录。"))
    _reject_unknown(data, PRODUCT_FIELDS)
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("产品不存在。"))
    _check_version(product, version)
    before = audit.snapshot(product)
    _apply(product, data)
    _full_clean(product)
    if Product.objects.filter(code=product.code).exclude(pk=product.pk).exists():
        raise Conflict(_("产品编码已存在。"), field="code")
    if not audit.diff(before, audit.snapshot(product, before.keys())):
        return product
    product.version += 1
    product.save()
    audit.audit_update(actor=actor, obj=product, before=before)
    return product


def _money(value: Any, field: str, *, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: _("必须是数字。")}) from None
    if isinstance(value, bool) or not number.is_finite():
        raise ValidationFailed({field: _("必须是数字。")})
    if number < 0 or (positive and number == 0):
        raise ValidationFailed({field: _("必须大于 0。") if positive else _("不能为负数。")})
    if number > MAX_AMOUNT:
        raise ValidationFailed({field: _("数值过大。")})
    return number.quantize(Decimal("0.01"))


def _next_order_number(order_date: dt.date) -> str:
    prefix = f"SO{order_date:%Y%m%d}-"
    last = (
        Order.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last and last.rsplit("-", 1)[1].isdigit() else 1
    return f"{prefix}{seq:05d}"


@transaction.atomic
def order_create(
    *,
    actor: Any,
    customer_id: int,
    order_date: dt.date,
    lines: Sequence[Mapping[str, Any]],
    number: str | None = None,
    note: str = "",
) -> Order:
    """Create a confirmed order; the total is the sum of its lines (never taken from input)."""
    customer = _lock_customer(actor, customer_id)
    if not lines:
        raise ValidationFailed({"lines": _("订单至少需要一行明细。")})
    if len(lines) > 500:
        raise ValidationFailed({"lines": _("一张订单最多 500 行明细。")})
    products = {
        p.pk: p
        for p in Product.objects.filter(
            pk__in=[line.get("product_id") for line in lines if line.get("product_id")]
        )
    }
    built: list[OrderLine] = []
    for i, line in enumerate(lines):
        _reject_unknown(line, {"product_id", "description", "quantity", "unit_price"})
        product_id = line.get("product_id")
        product = products.get(product_id) if product_id else None
        if line.get("product_id") and product is None:
            raise ValidationFailed({f"lines[{i}].product_id": _("产品不存在。")})
        quantity = _money(line.get("quantity", 1), f"lines[{i}].quantity", positive=True)
        price_raw = line.get("unit_price")
        if price_raw is None:
            if product is None:
                raise ValidationFailed({f"lines[{i}].unit_price": _("此字段必填。")})
            price_raw = product.unit_price
        unit_price = _money(price_raw, f"lines[{i}].unit_price")
        description = str(line.get("description") or (product.name if product else "")).strip()
        if not description:
            raise ValidationFailed({f"lines[{i}].description": _("此字段必填。")})
        if len(description) > 200:
            raise ValidationFailed({f"lines[{i}].description": _("不能超过 200 个字符。")})
        amount = (quantity * unit_price).quantize(Decimal("0.01"))
        if amount > MAX_AMOUNT:
            raise ValidationFailed({f"lines[{i}].quantity": _("数值过大。")})
        built.append(
            OrderLine(
                product=product,
                description=description,
                quantity=quantity,
                unit_price=unit_price,
                amount=amount,
            )
        )
    total = sum((line.amount for line in built), Decimal("0"))
    if total > MAX_AMOUNT:
        raise ValidationFailed({"lines": _("订单金额过大。")})
    number = (number or "").strip() or _next_order_number(order_date)
    if len(number) > 40:
        raise ValidationFailed({"number": _("不能超过 40 个字符。")})
    if len(note) > 500:
        raise ValidationFailed({"note": _("不能超过 500 个字符。")})
    if Order.objects.filter(number=number).exists():
        raise Conflict(_("订单号已存在。"), field="number")
    order = Order.objects.create(
        customer=customer,
        number=number,
        order_date=order_date,
        total=total,
        note=note,
        created_by=actor,
    )
    for order_line in built:
        order_line.order = order
    OrderLine.objects.bulk_create(built)
    audit.record(
        actor=actor,
        action="create",
        obj=order,
        changes={
            **{k: [None, v] for k, v in audit.snapshot(order).items() if v not in (None, "")},
            "lines": [None, [audit.snapshot(li, ["description", "quantity", "unit_price",
                                                  "amount"]) for li in built]],
        },
        customer_id=customer.pk,
    )  # fmt: skip
    occurred = timezone.make_aware(dt.datetime.combine(order_date, dt.time(12, 0)))
    timeline_add(
        customer_id=customer.pk,
        kind="order",
        occurred_at=occurred,
        title=TimelineText(
            gettext_noop("订单 %(number)s，金额 ¥%(total)s"),
            {"number": number, "total": f"{total:,.2f}"},
        ),
        body="；".join(f"{li.description} × {li.quantity.normalize():f}" for li in built[:10]),
        actor=actor,
        subject=order,
        data={"total": str(total)},
    )
    return order


@transaction.atomic
def order_cancel(*, actor: Any, order_id: int, version: int | None = None) -> Order:
    order, customer = _lock_child(actor, Order, order_id)
    _check_version(order, version)
    if order.status == OrderStatus.CANCELLED:
        return order
    before = audit.snapshot(order)
    order.status = OrderStatus.CANCELLED
    order.version += 1
    order.save()
    audit.audit_update(actor=actor, obj=order, before=before, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="order",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("订单 %(number)s 已取消"), {"number": order.number}),
        actor=actor,
        subject=order,
    )
    return order


# --- tags & custom fields ----------------------------------------------------------------


@transaction.atomic
def tag_create(*, actor: Any, name: str, color: str = "secondary") -> Tag:
    if not scope.is_staff_actor(actor):
        raise PermissionDenied(_("无权限。"))
    tag = Tag(name=name.strip(), color=color)
    _full_clean(tag)
    if Tag.objects.filter(name=tag.name).exists():
        raise Conflict(_("标签已存在。"), field="name")
    tag.save()
    audit.audit_create(actor=actor, obj=tag)
    return tag


@transaction.atomic
def custom_field_create(*, actor: Any, data: Mapping[str, Any]) -> CustomFieldDefinition:
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以定义自定义字段。"))
    _reject_unknown(data, {"key", "label", "label_en", "field_type", "choices", "required",
                           "position", "active"})  # fmt: skip
    definition = CustomFieldDefinition()
    _apply(definition, data)
    _full_clean(definition)
    if definition.field_type == CustomFieldType.CHOICE and (
        not isinstance(definition.choices, list) or not definition.choices
    ):
        raise ValidationFailed({"choices": _("选项类型必须给出可选值列表。")})
    if CustomFieldDefinition.objects.filter(key=definition.key).exists():
        raise Conflict(_("键已存在。"), field="key")
    definition.save()
    audit.audit_create(actor=actor, obj=definition)
    return definition


# --- maintenance jobs --------------------------------------------------------------------


def customer_rebuild_search_keys(*, report: Any = None, chunk_size: int = 2000) -> dict[str, Any]:
    """Recompute the derived search keys of every customer, chunk by chunk (one transaction
    each), reporting progress. Keys are derived data, not user data: no audit rows."""
    total = Customer.objects.count()
    done = changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                Customer.objects.filter(pk__gt=last_id)
                .order_by("pk")
                .only("id", "name", "email", "phone", "search_text", "name_pinyin",
                      "name_initials", "name_key", "phone_key")[:chunk_size]
            )  # fmt: skip
            if not rows:
                break
            dirty = []
            for customer in rows:
                before = (customer.search_text, customer.name_pinyin, customer.name_initials,
                          customer.name_key, customer.phone_key)  # fmt: skip
                try:
                    refresh_customer_keys(customer)
                except ValidationFailed:
                    customer.phone_key = ""
                after = (customer.search_text, customer.name_pinyin, customer.name_initials,
                         customer.name_key, customer.phone_key)  # fmt: skip
                if before != after:
                    dirty.append(customer)
            Customer.objects.bulk_update(
                dirty, ["search_text", "name_pinyin", "name_initials", "name_key", "phone_key"]
            )
        changed += len(dirty)
        done += len(rows)
        last_id = rows[-1].pk
        if report is not None:
            report(done * 100 / max(total, 1), _("已处理 %(done)s / %(total)s") % {
                "done": done, "total": total})  # fmt: skip
    return {"customers": done, "changed": changed}


def search_keys_rebuild_start(*, actor: Any) -> Any:
    """Start the rebuild as a background job (admin only); returns the Job."""
    from guanxi.core.jobs import enqueue_on_commit, job_create
    from guanxi.customers.tasks import rebuild_search_keys

    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以执行此操作。"))
    with transaction.atomic():
        job = job_create(kind="search_keys", actor=actor)
        enqueue_on_commit(rebuild_search_keys, str(job.pk))
    return job
