"""The customer lists that can be exported: customers (with the list page's filters),
contacts and communications. Headers are the import's field labels, so an export can be
imported again."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any, Final

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.customers import selectors
from guanxi.customers.models import Communication, Contact, Customer
from guanxi.imports.columns import (
    Cells,
    Column,
    Row,
    choice_column,
    field_column,
    text_column,
    time_column,
    user_column,
)
from guanxi.imports.exporting import ITER_CHUNK
from guanxi.imports.registry import ExportList


def _tags(row: Row, _cells: Cells) -> str:
    return "、".join(sorted(row["_tags"]))


CUSTOMER_COLUMNS: Final = (
    field_column("id", _("编号")),
    field_column("name", _("客户名称")),
    choice_column(Customer, "kind", _("客户类型")),
    field_column("industry", _("行业")),
    choice_column(Customer, "size", _("规模")),
    field_column("province", _("省份")),
    field_column("city", _("城市")),
    field_column("address", _("地址")),
    choice_column(Customer, "source", _("来源")),
    user_column("owner", _("客户经理")),
    choice_column(Customer, "status", _("状态")),
    field_column("since", _("客户起始日期")),
    field_column("phone", _("电话")),
    field_column("email", _("邮箱")),
    field_column("website", _("网站")),
    Column(_("标签"), (), _tags),  # filled per batch (``_with_tags``)
    field_column("notes", _("备注")),
    time_column("created_at", _("创建时间")),
)
CONTACT_COLUMNS: Final = (
    field_column("customer__name", _("客户名称")),
    field_column("name", _("姓名")),
    field_column("title", _("职务")),
    field_column("mobile", _("手机")),
    field_column("phone", _("电话")),
    field_column("email", _("邮箱")),
    field_column("wechat", _("微信")),
    field_column("birthday", _("生日")),
    choice_column(Contact, "preferred_channel", _("偏好渠道")),
    field_column("is_primary", _("主要联系人")),
    field_column("consent_marketing", _("同意营销联系")),
    field_column("notes", _("备注")),
)
COMMUNICATION_COLUMNS: Final = (
    field_column("customer__name", _("客户名称")),
    text_column("contact__name", _("联系人")),
    choice_column(Communication, "channel", _("渠道")),
    choice_column(Communication, "direction", _("方向")),
    time_column("occurred_at", _("时间")),
    field_column("summary", _("摘要")),
    user_column("staff", _("员工")),
    field_column("next_follow_up", _("下次跟进日期")),
    field_column("follow_up_done", _("跟进已完成")),
)


def _customers(actor: Any, params: Mapping[str, Any]) -> QuerySet[Any]:
    filters = selectors.validate_filters(dict(params))
    qs: QuerySet[Any] = selectors.customer_queryset(actor=actor, filters=filters)
    return qs


def _with_tags(rows: Iterator[Row]) -> Iterator[Row]:
    """Each customer row with ``_tags``: its tag names, read for a whole batch at once."""
    through = Customer.tags.through
    while batch := list(itertools.islice(rows, ITER_CHUNK)):
        tags: dict[int, list[str]] = {}
        for customer_id, name in through.objects.filter(
            customer_id__in=[row["id"] for row in batch]
        ).values_list("customer_id", "tag__name"):
            tags.setdefault(customer_id, []).append(name)
        for row in batch:
            yield {**row, "_tags": tags.get(row["id"], ())}


def _contacts(actor: Any, params: Mapping[str, Any]) -> QuerySet[Any]:
    # The contacts list page's filters, parsed by the same function: the export holds
    # exactly the rows the page shows.
    filters = selectors.validate_contact_filters(dict(params))
    qs: QuerySet[Any] = selectors.contact_queryset(actor=actor, filters=filters)
    return qs


def _communications(actor: Any, params: Mapping[str, Any]) -> QuerySet[Any]:
    filters = selectors.validate_communication_filters(dict(params))
    qs: QuerySet[Any] = selectors.communication_queryset(actor=actor, filters=filters)
    return qs


CUSTOMERS: Final = ExportList(
    key="customers",
    label=_("客户"),
    queryset=_customers,
    columns=CUSTOMER_COLUMNS,
    rows=_with_tags,
    filters="the list's filters (q, status, kind, owner, team, tag, province, city, sort)",
    order=10,
    list_url="customers:list",
)
CONTACTS: Final = ExportList(
    key="contacts",
    label=_("联系人"),
    queryset=_contacts,
    columns=CONTACT_COLUMNS,
    filters="the list's filters (q, owner, customer, kind — the customer's kind, sort)",
    order=20,
    list_url="customers:contact_list",
)
COMMUNICATIONS: Final = ExportList(
    key="communications",
    label=_("沟通记录"),
    queryset=_communications,
    columns=COMMUNICATION_COLUMNS,
    filters="the list's filters (q, owner, customer, kind — the channel, date_from, date_to, sort)",
    order=40,
    list_url="customers:communication_list",
)
