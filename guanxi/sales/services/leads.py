"""Writes of leads (线索): entry with the assignment rules, the duplicate check against
customers, contacts and other leads (the importer's matcher and keys, not a copy of them),
conversion to customer + contact + opportunity, and the public web-to-lead form."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.text.cleaning import CleaningError, normalize_phone
from guanxi.core.text.keys import stored_name_key
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.customers import services as customer_services
from guanxi.customers.importers.matching import customer_keys, find_customer_matches
from guanxi.customers.models import Customer
from guanxi.sales.models import (
    QUALIFICATION_ITEMS,
    AssignmentMethod,
    AssignmentRule,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityStatus,
)
from guanxi.sales.services.opportunities import opportunity_create

LEAD_FIELDS = frozenset({"name", "company", "phone", "email", "region", "message"})
WEB_FORM_SALT: Final = "guanxi.sales.web_lead"
WEB_FORM_MIN_SECONDS: Final = 3  # a person takes longer than this to fill the form
WEB_FORM_MAX_AGE: Final = 24 * 3600
WEB_LEADS_PER_IP_PER_HOUR: Final = 5


# --- keys and the duplicate check --------------------------------------------------------


def _phone_key(phone: str) -> str:
    if not phone:
        return ""
    try:
        return normalize_phone(phone)
    except CleaningError:
        raise ValidationFailed(
            {"phone": _("电话号码格式不正确：%(value)s") % {"value": phone}}
        ) from None


@dataclass(frozen=True)
class DuplicateHit:
    kind: str  # "customer" | "lead"
    id: int
    name: str
    by: str  # "phone" | "email" | "name"
    visible: bool  # the actor may open it (else only "an existing customer" is said)


def lead_duplicates(
    *, actor: Any, name: str = "", company: str = "", phone: str = "", email: str = "",
    exclude_lead: int | None = None,
) -> list[DuplicateHit]:  # fmt: skip
    """Existing customers (by their own or their contacts' phone, e-mail, name key — the
    importer's matcher) and open leads that look like the same company or person."""
    try:
        phone_key = normalize_phone(phone) if phone else ""
    except CleaningError:
        phone_key = ""
    email = email.strip().lower()
    keys = customer_keys(name=company or name, phone_key=phone_key, email=email)
    hits: list[DuplicateHit] = []
    match = find_customer_matches([keys], include_contacts=True).get(0)
    if match is not None:
        customer = (
            Customer.objects.filter(pk=match.customer_id)
            .only("id", "name", "owner_id", "team_id")
            .first()
        )
        if customer is not None:
            visible = permissions.can_read_customer(actor, customer)
            hits.append(DuplicateHit("customer", customer.pk, customer.name, match.by, visible))
    lead_q = Q()
    if phone_key:
        lead_q |= Q(phone_key=phone_key)
    if email:
        lead_q |= Q(email=email)
    if keys.name_key:
        lead_q |= Q(company_key=keys.name_key)
    if lead_q:
        leads = Lead.objects.filter(lead_q).exclude(status=LeadStatus.CONVERTED)
        if exclude_lead:
            leads = leads.exclude(pk=exclude_lead)
        for lead in leads.order_by("id")[:5]:
            by = ("phone" if phone_key and lead.phone_key == phone_key
                  else "email" if email and lead.email == email else "name")  # fmt: skip
            visible = permissions.can_read_record(
                actor, owner_id=lead.owner_id, team_id=lead.team_id
            )
            hits.append(DuplicateHit("lead", lead.pk, str(lead), by, visible))
    return hits


# --- assignment --------------------------------------------------------------------------


def _members(rule: AssignmentRule) -> list[User]:
    return list(
        User.objects.filter(team_id=rule.team_id, is_active=True)
        .filter(role__in=["account_manager", "manager"])
        .order_by("id")
    )


def _pick(rule: AssignmentRule, members: list[User]) -> User:
    if rule.method == AssignmentMethod.LOAD:
        ids = [m.pk for m in members]
        leads = dict(
            Lead.objects.filter(owner_id__in=ids, status__in=[LeadStatus.NEW, LeadStatus.WORKING])
            .values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n")
        )  # fmt: skip
        opps = dict(
            Opportunity.objects.filter(owner_id__in=ids, status=OpportunityStatus.OPEN)
            .values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n")
        )  # fmt: skip
        return min(members, key=lambda m: (leads.get(m.pk, 0) + opps.get(m.pk, 0), m.pk))
    # In turn: the member after the one assigned last.
    last = rule.last_assigned_id
    later = [m for m in members if last is not None and m.pk > last]
    return later[0] if later else members[0]


def assign_owner(lead: Lead) -> AssignmentRule | None:
    """Give ``lead`` the owner chosen by the first active rule that matches (region rules
    match the lead's region only) and has members; ``None`` when no rule applies. The rule
    row is locked, so concurrent leads take turns rather than the same person."""
    rules = AssignmentRule.objects.select_for_update().filter(active=True).order_by("order", "id")
    for rule in rules:
        if rule.method == AssignmentMethod.REGION and lead.region not in (rule.regions or []):
            continue
        members = _members(rule)
        if not members:
            continue
        owner = _pick(rule, members)
        lead.owner, lead.team_id = owner, owner.team_id
        rule.last_assigned = owner
        rule.save(update_fields=["last_assigned"])
        return rule
    return None


# --- leads -------------------------------------------------------------------------------


def _qualification(value: Any) -> dict[str, bool]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        k in QUALIFICATION_ITEMS and isinstance(v, bool) for k, v in value.items()
    ):
        raise ValidationFailed(
            {"qualification": _("只能包含 budget、authority、need、timeline 的是/否。")}
        )
    return dict(value)


def _build(lead: Lead, data: Mapping[str, Any]) -> None:
    reject_unknown(data, LEAD_FIELDS | {"qualification"})
    apply_fields(lead, {k: v for k, v in data.items() if k != "qualification"})
    for name in ("name", "company", "phone", "email", "region", "message"):
        setattr(lead, name, str(getattr(lead, name) or "").strip())
    lead.email = lead.email.lower()
    if "qualification" in data:
        lead.qualification = _qualification(data["qualification"])
    full_clean(lead, exclude=["owner", "team", "converted_customer", "converted_opportunity",
                              "created_by"])  # fmt: skip
    lead.phone_key = _phone_key(lead.phone)
    lead.company_key = stored_name_key(lead.company) if lead.company else ""


@transaction.atomic
def lead_create(
    *, actor: Any, data: Mapping[str, Any], source: str = LeadSource.MANUAL,
    owner_id: int | None = None, ip_hash: str = "",
) -> Lead:  # fmt: skip
    """A new lead. Without an owner named, the assignment rules choose one (and failing
    them the actor owns it; a web-form lead without a rule stays unassigned)."""
    is_web = actor is None
    if not is_web and not permissions.can_create_customer(actor):
        raise ValidationFailed({"source": _("你没有录入线索的权限。")})
    if source not in LeadSource.values:
        raise ValidationFailed({"source": _("无效的选项。")})
    lead = Lead(source=source, created_by=actor, source_ip_hash=ip_hash)
    _build(lead, data)
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            raise ValidationFailed({"owner_id": _("用户不存在。")})
        if owner.pk != actor.pk and not permissions.can_assign_owner_to(
            actor, owner_id=owner.pk, team_id=owner.team_id, owner_role=owner.role
        ):
            raise ValidationFailed({"owner_id": _("只能分配给你的数据范围内的销售人员。")})
        lead.owner, lead.team_id = owner, owner.team_id
    elif assign_owner(lead) is None and not is_web:
        lead.owner, lead.team_id = actor, actor.team_id
    lead.save()
    audit.audit_create(actor=actor, obj=lead)
    return lead


def lead_lock(actor: Any, lead_id: Any) -> Lead:
    from guanxi.core.errors import NotFound, PermissionDenied

    q = permissions.record_filter(actor)
    qs = Lead.objects.select_for_update()
    if q is not None:
        qs = qs.filter(q)
    lead = qs.filter(pk=lead_id).first() if isinstance(lead_id, int) else None
    if lead is None:
        raise NotFound(_("线索不存在。"))
    if not permissions.can_change_record(actor, owner_id=lead.owner_id, team_id=lead.team_id):
        raise PermissionDenied(_("你没有修改该线索的权限。"))
    return lead


@transaction.atomic
def lead_update(
    *, actor: Any, lead_id: int, data: Mapping[str, Any], version: int | None,
    status: str | None = None,
) -> Lead:  # fmt: skip
    lead = lead_lock(actor, lead_id)
    check_version(lead, version)
    if lead.status == LeadStatus.CONVERTED:
        raise Conflict(_("线索已转化，不能再修改。"), field="status")
    before = audit.snapshot(lead)
    _build(lead, data)
    if status is not None:
        if status not in LeadStatus.values or status == LeadStatus.CONVERTED:
            raise ValidationFailed({"status": _("无效的选项。")})
        lead.status = status
    if not audit.diff(before, audit.snapshot(lead, before.keys())):
        return lead
    lead.version += 1
    lead.save()
    audit.audit_update(actor=actor, obj=lead, before=before)
    return lead


@transaction.atomic
def lead_convert(
    *,
    actor: Any,
    lead_id: int,
    version: int | None,
    customer_id: int | None = None,
    opportunity: Mapping[str, Any] | None = None,
    duplicate_reason: str | None = None,
) -> Lead:
    """Turn a lead into a customer (or link the existing ``customer_id`` the duplicate
    check found), a contact at it (the lead's person) and, unless ``opportunity`` is
    ``None``, an opportunity. One transaction: all of it or nothing. A new customer that
    looks like one the user can see needs ``duplicate_reason``, as on the customer form."""
    lead = lead_lock(actor, lead_id)
    check_version(lead, version)
    if lead.status in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED):
        raise Conflict(_("该线索已转化或已判定无效。"), field="status")
    before = audit.snapshot(lead)
    if customer_id is not None:
        customer = customer_services.customer_lock(actor, customer_id)
    else:
        customer = customer_services.customer_create(
            actor=actor,
            data={
                "name": lead.company or lead.name,
                "phone": lead.phone,
                "email": lead.email,
                "province": lead.region[:20],
                "source": "website"
                if lead.source == "web"
                else "referral"
                if lead.source == "referral"
                else "other",
            },
            duplicate_reason=duplicate_reason,
        )
    if lead.company:
        contact_data = {"name": lead.name, "mobile": lead.phone, "email": lead.email}
        customer_services.contact_create(actor=actor, customer_id=customer.pk, data=contact_data)
    opp = None
    if opportunity is not None:
        data = dict(opportunity)
        data.setdefault("name", _("%(company)s 的商机") % {"company": customer.name})
        opp = opportunity_create(actor=actor, customer_id=customer.pk, data=data)
    lead.status = LeadStatus.CONVERTED
    lead.converted_customer = customer
    lead.converted_opportunity = opp
    lead.converted_at = timezone.now()
    lead.version += 1
    lead.save()
    audit.audit_update(actor=actor, obj=lead, before=before, customer_id=customer.pk)
    return lead


# --- the public web-to-lead form ---------------------------------------------------------


def web_form_token(now: dt.datetime | None = None) -> str:
    """The signed time a public form was served."""
    signer = signing.TimestampSigner(salt=WEB_FORM_SALT)
    return signer.sign(str(int((now or timezone.now()).timestamp())))


def ip_hash(address: str) -> str:
    # Kept to count submissions per address, not the address itself.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()


class Spam(Exception):
    """A submission refused as automated (the form is answered as if it went through)."""


class RateLimited(Exception):
    pass


@transaction.atomic
def web_lead_submit(*, data: Mapping[str, Any], token: str, honeypot: str, address: str) -> Lead:
    """A lead from the public form (no login): refused as spam when the honeypot is filled,
    the signed time is missing, forged, too fresh or too old; refused when the address sent
    too many leads in the last hour; otherwise created and assigned by the rules."""
    if honeypot:
        raise Spam("honeypot")
    signer = signing.TimestampSigner(salt=WEB_FORM_SALT)
    try:
        served = int(signer.unsign(token, max_age=WEB_FORM_MAX_AGE))
    except (signing.BadSignature, ValueError):
        raise Spam("token") from None
    # A setting, so a test (or a site with a one-field form) can lower the minimum.
    minimum = getattr(settings, "SALES_WEB_FORM_MIN_SECONDS", WEB_FORM_MIN_SECONDS)
    if timezone.now().timestamp() - served < minimum:
        raise Spam("too fast")
    hashed = ip_hash(address)
    since = timezone.now() - dt.timedelta(hours=1)
    if Lead.objects.filter(source_ip_hash=hashed, created_at__gte=since).count() >= (
        WEB_LEADS_PER_IP_PER_HOUR
    ):
        raise RateLimited(address)
    return lead_create(actor=None, data=data, source=LeadSource.WEB, ip_hash=hashed)
