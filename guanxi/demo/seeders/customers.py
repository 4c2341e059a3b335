"""The demo's customers (``customers``): tags, customers with their contacts and
preferences, and the communications, each with its audit and timeline entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext_noop

from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.models import AuditAction, AuditEntry, AuditSource
from guanxi.core.text.cleaning import normalize_phone
from guanxi.core.text.keys import customer_search_keys
from guanxi.core.text.pinyin import pinyin_keys
from guanxi.customers.models import (
    Channel,
    CollaboratorAccess,
    Communication,
    CompanySize,
    Contact,
    Customer,
    CustomerCollaborator,
    CustomerKind,
    CustomerStatus,
    Direction,
    Preference,
    PreferenceCategory,
    PreferredChannel,
    Tag,
)
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_entry
from guanxi.demo.context import Context
from guanxi.demo.words import (
    CHANNEL_WEIGHTS,
    CITIES,
    FREE_MAIL,
    KEY,
    KIND_WEIGHTS,
    PREFERENCES,
    PRODUCTS,
    SIZE_WEIGHTS,
    SOURCE_WEIGHTS,
    SOUTH,
    STATUS_WEIGHTS,
    SUMMARIES,
    TAGS,
    TITLES,
    address,
    customer_name,
    email_domain,
    format_mobile,
    landline,
    mobile,
    person_name,
    weighted,
)


def seed_tags(ctx: Context) -> None:
    """The tags (:data:`~guanxi.demo.words.TAGS`) the customers are given."""
    tags = {name: Tag(name=name, color=color) for name, color in TAGS}
    Tag.objects.bulk_create(tags.values())
    audit.audit_bulk_create(actor=None, objs=tags.values(), customer_attr=None)
    ctx.counts["tags"] = len(tags)
    ctx.tags = tags


def seed_customers(ctx: Context) -> None:
    """The customers (the first is always 华为技术有限公司) with their tags, contacts and
    preferences."""
    ctx.customers = _customers(ctx)
    ctx.contacts = _contacts(ctx, ctx.customers)
    _preferences(ctx, ctx.customers)


def _owner_for(ctx: Context, kind: str, size: str, region: str) -> User:
    users = ctx.users
    rng = ctx.rng
    key_account = (
        kind in (CustomerKind.GOVERNMENT, CustomerKind.INVESTOR, CustomerKind.SPONSOR)
        or size == CompanySize.LARGE
        or region == KEY
    )
    if key_account:
        return users["zhaolei"] if rng.random() < 0.75 else users["liuyang"]
    if region == SOUTH:
        return users["huangmin"] if rng.random() < 0.8 else users["chenjie"]
    return users[rng.choice(["lina", "lina", "wangfang", "wangfang", "zhangwei"])]


def _customers(ctx: Context) -> list[Customer]:
    rng = ctx.rng
    tags = ctx.tags
    used_names: set[str] = set()
    rows: list[Customer] = []
    tag_links: list[tuple[Customer, list[Tag]]] = []
    city_weights = [c[3] for c in CITIES]
    for i in range(ctx.n_customers):
        if i == 0:
            kind, (province, city, area, _w, region) = CustomerKind.ENTERPRISE, CITIES[12]
            name, industry = "华为技术有限公司", "信息技术"
        else:
            kind = weighted(rng, KIND_WEIGHTS)
            province, city, area, _w, region = rng.choices(CITIES, weights=city_weights)[0]
            for _attempt in range(20):
                name, industry = customer_name(rng, kind, city)
                if name not in used_names or kind == CustomerKind.INDIVIDUAL:
                    break
        used_names.add(name)
        size = "" if kind == CustomerKind.INDIVIDUAL else weighted(rng, SIZE_WEIGHTS)
        status = weighted(rng, STATUS_WEIGHTS)
        if i == 0:
            size, status = CompanySize.LARGE, CustomerStatus.ACTIVE
        owner = _owner_for(ctx, kind, size, region)
        since = ctx.today - dt.timedelta(days=rng.randint(30, 365 * 6))
        if status == CustomerStatus.PROSPECT:
            since = ctx.today - dt.timedelta(days=rng.randint(1, 300))
        if i == 0:
            phone = "13800138000"
        elif kind == CustomerKind.INDIVIDUAL:
            phone = format_mobile(mobile(rng), rng.randrange(4))
        else:
            phone = landline(rng, area) if rng.random() < 0.9 else ""
        if kind == CustomerKind.INDIVIDUAL:
            email = f"{pinyin_keys(name)[0]}{rng.randint(1, 9999)}@{rng.choice(FREE_MAIL)}"
            website = ""
        else:
            domain = email_domain(name, kind)
            email = f"{rng.choice(['info', 'contact', 'service', 'office'])}@{domain}"
            website = f"https://www.{domain}" if rng.random() < 0.7 else ""
        customer = Customer(
            kind=kind,
            name=name,
            industry=industry,
            size=size,
            province=province,
            city=city,
            address=address(rng, city),
            source=weighted(rng, SOURCE_WEIGHTS),
            owner=owner,
            team_id=owner.team_id,
            status=status,
            since=since,
            phone=phone,
            email=email.lower(),
            website=website,
            notes=rng.choice(
                [
                    "",
                    "",
                    "年度预算通常在每年11月确定。",
                    "由合作伙伴推荐，决策链较长。",
                    "对价格敏感，注重售后服务。",
                    "集团总部统一采购。",
                ]
            ),
        )
        (
            customer.name_pinyin,
            customer.name_initials,
            customer.name_key,
            customer.search_text,
        ) = customer_search_keys(customer.name, customer.email)
        customer.phone_key = normalize_phone(phone) if phone else ""
        rows.append(customer)
        chosen: list[Tag] = []
        if i == 0:
            chosen = [tags["重点客户"], tags["战略合作"], tags["VIP"]]
        elif rng.random() < 0.45:
            chosen = rng.sample(list(tags.values()), rng.choice([1, 1, 2, 3]))
        if kind == CustomerKind.GOVERNMENT and rng.random() < 0.7:
            chosen = list(dict.fromkeys([*chosen, tags["政府项目"]]))
        if chosen:
            tag_links.append((customer, sorted(chosen, key=lambda t: t.name)))
    Customer.objects.bulk_create(rows, batch_size=500)
    audit.audit_bulk_create(actor=None, objs=rows, customer_attr="pk")
    through = Customer.tags.through
    through.objects.bulk_create(
        [through(customer_id=c.pk, tag_id=t.pk) for c, ts in tag_links for t in ts],
        batch_size=2000,
    )
    now = timezone.now()
    for c, ts in tag_links:
        # customer_create records the tags as a second, "update" audit entry.
        ctx.audit.append(
            AuditEntry(
                actor=None,
                actor_label="system",
                source=AuditSource.SYSTEM,
                action=AuditAction.UPDATE,
                model="customers.customer",
                object_id=str(c.pk),
                object_repr=str(c)[:200],
                customer_id=c.pk,
                changes={"tags": [[], [t.name for t in ts]]},
                created_at=now,
            )
        )
    for c in rows:
        ctx.timeline.append(
            timeline_entry(
                customer_id=c.pk,
                kind="customer",
                occurred_at=ctx.at(since_of(c), 9),
                title=TimelineText(gettext_noop("新建客户 %(name)s"), {"name": c.name}),
                subject=c,
            )
        )
    ctx.counts["customers"] = len(rows)
    ctx.log(f"客户 {len(rows)}")
    return rows


def _contacts(ctx: Context, customers: list[Customer]) -> dict[int, list[Contact]]:
    rng = ctx.rng
    rows: list[Contact] = []
    by_customer: dict[int, list[Contact]] = defaultdict(list)
    for c in customers:
        n = 1 if c.kind == CustomerKind.INDIVIDUAL else rng.choice([1, 1, 2, 2, 2, 3])
        domain = c.email.split("@", 1)[1] if "@" in c.email else "example.cn"
        for j in range(n):
            name = c.name if c.kind == CustomerKind.INDIVIDUAL else person_name(rng)
            full = pinyin_keys(name)[0]
            digits = mobile(rng)
            if c.name == "华为技术有限公司" and j == 0:
                digits = "13800138000"
            contact = Contact(
                customer_id=c.pk,
                name=name,
                title=rng.choice(TITLES[c.kind]),
                mobile=format_mobile(digits, rng.randrange(4)),
                phone=c.phone if j == 0 and c.kind != CustomerKind.INDIVIDUAL else "",
                email=c.email if c.kind == CustomerKind.INDIVIDUAL else f"{full}@{domain}",
                wechat=f"{full}{rng.randint(10, 9999)}"
                if rng.random() < 0.6
                else f"wxid_{rng.randrange(16**10):010x}",
                birthday=dt.date(rng.randint(1962, 1998), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.7
                else None,
                preferred_channel=rng.choice(
                    [
                        PreferredChannel.WECHAT,
                        PreferredChannel.WECHAT,
                        PreferredChannel.PHONE,
                        PreferredChannel.EMAIL,
                        PreferredChannel.VISIT,
                        "",
                    ]
                ),
                consent_marketing=rng.random() < 0.55,
                is_primary=j == 0,
            )
            if contact.consent_marketing:
                contact.consent_updated_at = ctx.at(since_of(c))
            contact.email = contact.email.lower()
            contact.phone_key = normalize_phone(contact.phone) if contact.phone else ""
            contact.mobile_key = normalize_phone(contact.mobile)
            rows.append(contact)
            by_customer[c.pk].append(contact)
    Contact.objects.bulk_create(rows, batch_size=500)
    audit.audit_bulk_create(actor=None, objs=rows)
    since = {c.pk: since_of(c) for c in customers}
    for ct in rows:
        ctx.timeline.append(
            timeline_entry(
                customer_id=ct.customer_id,
                kind="contact",
                occurred_at=ctx.at(since[ct.customer_id], 10),
                title=TimelineText(gettext_noop("新增联系人 %(name)s"), {"name": ct.name}),
                subject=ct,
            )
        )
    ctx.counts["contacts"] = len(rows)
    ctx.log(f"联系人 {len(rows)}")
    return by_customer


def _preferences(ctx: Context, customers: list[Customer]) -> None:
    rng = ctx.rng
    rows: list[Preference] = []
    options = [(cat, key, values) for cat, items in PREFERENCES.items() for key, values in items]
    for c in customers:
        if c.name == "华为技术有限公司":
            picks: list[tuple[str, str, list[str]]] = [
                (PreferenceCategory.DIET, "茶饮", ["只喝普洱茶"]),
                (PreferenceCategory.HOBBY, "运动", ["喜欢打高尔夫"]),
                (PreferenceCategory.COMMUNICATION, "来电时间", ["上午不接电话"]),
            ]
        elif rng.random() < 0.55:
            picks = rng.sample(options, rng.choice([1, 1, 2, 3]))
        else:
            continue
        for cat, key, values in picks:
            rows.append(
                Preference(customer_id=c.pk, category=cat, key=key, value=rng.choice(values))
            )
    Preference.objects.bulk_create(rows, batch_size=1000)
    audit.audit_bulk_create(actor=None, objs=rows)
    since = {c.pk: since_of(c) for c in customers}
    for p in rows:
        ctx.timeline.append(
            timeline_entry(
                customer_id=p.customer_id,
                kind="preference",
                occurred_at=ctx.at(ctx.day_between(since[p.customer_id], ctx.today)),
                title=TimelineText(
                    gettext_noop("记录偏好：%(key)s = %(value)s"),
                    {"key": p.key, "value": p.value},
                ),
                subject=p,
            )
        )
    ctx.counts["preferences"] = len(rows)


def since_of(c: Customer) -> dt.date:
    """A seeded customer's first day (every seeded customer has one)."""
    assert c.since is not None
    return c.since


def activity_window(ctx: Context, c: Customer) -> tuple[dt.date, dt.date] | None:
    """The days a customer buys and talks to us: the last two years of its relationship,
    ending months or years ago for a dormant or lost one (draws from ``ctx.rng``)."""
    rng = ctx.rng
    start = max(since_of(c), ctx.today - dt.timedelta(days=730))
    if c.status == CustomerStatus.DORMANT:
        end = ctx.today - dt.timedelta(days=rng.randint(180, 420))
    elif c.status == CustomerStatus.LOST:
        end = ctx.today - dt.timedelta(days=rng.randint(400, 700))
    else:
        end = ctx.today
    return (start, end) if start < end else None


def seed_communications(ctx: Context) -> None:
    """The contact history of every customer: calls, visits, WeChat…, some with a follow-up
    still open. Drawn after the orders."""
    customers, contacts = ctx.customers, ctx.contacts
    rng = ctx.rng
    agent = ctx.users["sunli"]
    product_names = [p[1].split("（")[0] for p in PRODUCTS]
    rows: list[Communication] = []
    for c in customers:
        window = activity_window(ctx, c) or (since_of(c), since_of(c))
        start, end = window
        if c.status == CustomerStatus.PROSPECT:
            start, end = since_of(c), ctx.today
        draws: dict[str, int] = {
            CustomerStatus.ACTIVE: rng.randint(3, 12),
            CustomerStatus.PROSPECT: rng.randint(1, 6),
            CustomerStatus.DORMANT: rng.randint(1, 5),
            CustomerStatus.LOST: rng.randint(1, 3),
        }
        n = draws[c.status]
        if c.name == "华为技术有限公司":
            n = 20
        days = sorted(ctx.day_between(start, end) for _ in range(n))
        people = contacts.get(c.pk, [])
        for k, day in enumerate(days):
            channel = weighted(rng, CHANNEL_WEIGHTS)
            contact = rng.choice(people) if people else None
            inbound = (
                channel in (Channel.PHONE, Channel.WECHAT, Channel.EMAIL) and rng.random() < 0.3
            )
            summary = rng.choice(SUMMARIES[channel]).format(
                contact=contact.name if contact else "客户",
                product=rng.choice(product_names),
                amount=rng.choice([20, 35, 50, 80, 120, 200]),
            )
            comm = Communication(
                customer_id=c.pk,
                contact=contact,
                channel=channel,
                direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                occurred_at=ctx.at(day),
                summary=summary,
                staff=agent if inbound and rng.random() < 0.5 else c.owner,
            )
            last = k == len(days) - 1
            if (
                last
                and c.status in (CustomerStatus.ACTIVE, CustomerStatus.PROSPECT)
                and (rng.random() < 0.4 or c.name == "华为技术有限公司")
            ):
                comm.next_follow_up = ctx.today + dt.timedelta(days=rng.randint(-10, 21))
            elif not last and rng.random() < 0.2:
                comm.next_follow_up = day + dt.timedelta(days=rng.randint(3, 14))
                comm.follow_up_done = True
            rows.append(comm)
    Communication.objects.bulk_create(rows, batch_size=1000)
    audit.audit_bulk_create(actor=None, objs=rows)
    for comm in rows:
        ctx.timeline.append(
            timeline_entry(
                customer_id=comm.customer_id,
                kind="communication",
                occurred_at=comm.occurred_at,
                title=TimelineText(
                    gettext_noop("%(channel)s · %(direction)s"),
                    {
                        "channel": ChoiceLabel.of(comm, "channel"),
                        "direction": ChoiceLabel.of(comm, "direction"),
                    },
                ),
                body=comm.summary,
                subject=comm,
                data={
                    "channel": comm.channel,
                    "next_follow_up": comm.next_follow_up.isoformat()
                    if comm.next_follow_up
                    else None,
                },
            )
        )
    ctx.counts["communications"] = len(rows)
    ctx.counts["open_follow_ups"] = sum(
        1 for r in rows if r.next_follow_up and not r.follow_up_done
    )
    ctx.log(f"沟通记录 {len(rows)}")


# (the owner whose first customer is shared, with whom, access): a colleague of another
# department helps on a key account; two account managers cover for each other.
SHARES: list[tuple[str, str, str]] = [
    ("zhaolei", "lina", CollaboratorAccess.READ),
    ("huangmin", "wangfang", CollaboratorAccess.WRITE),
]


def seed_collaborators(ctx: Context) -> None:
    """A few customers shared with colleagues outside their owner's scope (团队成员).
    Draws nothing from the random stream."""
    rows: list[CustomerCollaborator] = []
    for owner, username, access in SHARES:
        customer = next((c for c in ctx.customers if c.owner_id == ctx.users[owner].pk), None)
        if customer is not None:
            rows.append(
                CustomerCollaborator(
                    customer=customer, user=ctx.users[username], access=access,
                    added_by=ctx.users[owner],
                )
            )  # fmt: skip
    CustomerCollaborator.objects.bulk_create(rows)
    audit.audit_bulk_create(actor=None, objs=rows)
    for row in rows:
        ctx.timeline.append(
            timeline_entry(
                customer_id=row.customer_id,
                kind="collaborator",
                occurred_at=ctx.at(ctx.today, 12),
                title=TimelineText(
                    gettext_noop("添加团队成员 %(user)s（%(access)s）"),
                    {"user": str(row.user), "access": ChoiceLabel.of(row, "access")},
                ),
                subject=row,
            )
        )
    ctx.counts["collaborators"] = len(rows)
    ctx.log(f"团队成员 {len(rows)}")
