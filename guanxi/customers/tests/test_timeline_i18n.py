"""Timeline titles are shown in the reader's language, whatever the writer's was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from guanxi.customers import services
from guanxi.customers.models import Communication, Customer, TimelineEntry
from guanxi.customers.tests.factories import TimelineEntryFactory
from guanxi.customers.tests.test_api_support import Api
from guanxi.customers.timeline import (
    TITLE_KEY,
    ChoiceLabel,
    FieldLabels,
    TimelineText,
    timeline_add,
)
from guanxi.orders import services as order_services

pytestmark = pytest.mark.django_db


def _entry(customer: Customer, kind: str) -> TimelineEntry:
    return TimelineEntry.objects.filter(customer=customer, kind=kind).latest("id")


def _shown(entry: TimelineEntry, language: str) -> str:
    with translation.override(language):
        return TimelineEntry.objects.get(pk=entry.pk).display_title


def test_title_written_in_chinese_reads_in_english(am_a):
    with translation.override("zh-hans"):
        customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    entry = _entry(customer, "customer")
    assert entry.title == "新建客户 华为技术有限公司"  # stored in the writer's language
    assert entry.data[TITLE_KEY] == {
        "msgid": "新建客户 %(name)s",
        "params": {"name": "华为技术有限公司"},
    }
    assert _shown(entry, "en") == "Created customer 华为技术有限公司"
    assert _shown(entry, "zh-hans") == "新建客户 华为技术有限公司"


def test_title_written_in_english_reads_in_chinese(am_a):
    with translation.override("en"):
        customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    entry = _entry(customer, "customer")
    assert entry.title == "Created customer 华为技术有限公司"
    assert _shown(entry, "zh-hans") == "新建客户 华为技术有限公司"


def test_choice_labels_in_a_title_follow_the_reader(am_a):
    customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    with translation.override("zh-hans"):
        services.communication_create(
            actor=am_a,
            customer_id=customer.pk,
            data={"channel": "visit", "direction": "in", "summary": "来访"},
        )
    entry = _entry(customer, "communication")
    assert entry.title == "拜访 · 客户来访/来电"
    assert entry.data[TITLE_KEY]["params"]["channel"] == {
        "choice": "customers.communication.channel",
        "value": "visit",
    }
    assert _shown(entry, "en") == "Visit · Inbound (customer called or came)"


def test_changed_field_names_follow_the_reader(am_a):
    customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    with translation.override("zh-hans"):
        services.customer_update(
            actor=am_a,
            customer_id=customer.pk,
            data={"status": "active", "city": "深圳"},
            version=1,
        )
    entry = _entry(customer, "change")
    assert entry.title == "修改了 城市、状态"
    assert _shown(entry, "en") == "Changed City, Status"


def test_order_title_reads_in_english(am_a):
    customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    order = order_services.order_create(
        actor=am_a,
        customer_id=customer.pk,
        order_date=dt.date(2025, 3, 1),
        number="SO-1",
        lines=[{"description": "服务", "quantity": 1, "unit_price": "1234.5"}],
    )
    assert _shown(_entry(customer, "order"), "en") == "Order SO-1, amount ¥1,234.50"
    order_services.order_cancel(actor=am_a, order_id=order.pk, version=1)
    assert _shown(_entry(customer, "order"), "en") == "Order SO-1 cancelled"


def test_the_360_page_shows_titles_in_the_readers_language(client, am_a):
    with translation.override("zh-hans"):
        customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
        services.communication_create(
            actor=am_a,
            customer_id=customer.pk,
            data={"channel": "phone", "direction": "out", "summary": "电话"},
        )
    client.force_login(am_a)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Created customer 华为技术有限公司" in html
    assert "Phone · Outbound (we contacted them)" in html
    assert "新建客户" not in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("customers:section", args=[customer.pk, "timeline"])).content
    assert "新建客户 华为技术有限公司" in html.decode() and "电话 · 我方联系" in html.decode()


def test_editing_a_communication_rewrites_its_title_and_body(am_a):
    customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    comm = services.communication_create(
        actor=am_a, customer_id=customer.pk, data={"channel": "phone", "summary": "电话"}
    )
    services.communication_update(
        actor=am_a,
        communication_id=comm.pk,
        data={"channel": "wechat", "summary": "微信沟通"},
        version=1,
    )
    entry = _entry(customer, "communication")
    assert TimelineEntry.objects.filter(kind="communication").count() == 1
    assert (entry.body, _shown(entry, "zh-hans")) == ("微信沟通", "微信 · 我方联系")
    assert entry.data["channel"] == "wechat"


def test_plain_text_titles_are_shown_as_written(am_a):
    customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    entry = TimelineEntryFactory(customer=customer, title="旧数据：没有消息编号")
    assert _shown(entry, "en") == "旧数据：没有消息编号"


@pytest.mark.parametrize(
    "spec",
    [
        {"msgid": "新建客户 %(name)s", "params": {}},  # a placeholder without its value
        {"msgid": "新建客户 %(name)s", "params": {"name": {"unknown": 1}}},
        {"msgid": 42},
        "not a mapping",
    ],
)
def test_a_title_that_no_longer_renders_falls_back_to_the_stored_one(am_a, spec):
    customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    entry = TimelineEntryFactory(customer=customer, title="存储的标题", data={TITLE_KEY: spec})
    assert _shown(entry, "en") == "存储的标题"


def test_unknown_choice_codes_and_fields_show_as_codes(am_a):
    customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    entry = timeline_add(
        customer_id=customer.pk,
        kind="change",
        occurred_at=timezone.now(),
        title=TimelineText(
            gettext_noop("修改了 %(fields)s"),
            {"fields": FieldLabels("customers.customer", ("status", "no_such_field"))},
        ),
    )
    assert _shown(entry, "en") == "Changed Status, no_such_field"
    comm = Communication(channel="fax", direction="out")
    label = ChoiceLabel.of(comm, "channel")
    entry = timeline_add(
        customer_id=customer.pk,
        kind="communication",
        occurred_at=timezone.now(),
        title=TimelineText("%(channel)s", {"channel": label}),
    )
    assert _shown(entry, "en") == "fax"


def test_lazy_or_object_parameters_are_refused_when_written():
    with pytest.raises(TypeError):
        TimelineText("%(x)s", {"x": object()}).encode()


def test_the_api_gives_titles_in_the_requested_language(am_a):
    customer = services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    api = Api(am_a)
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    body = api.get(f"/customers/{customer.pk}/timeline").json()
    assert [e["title"] for e in body["items"]] == ["Created customer 华为技术有限公司"]
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    body = api.get(f"/customers/{customer.pk}/timeline").json()
    assert [e["title"] for e in body["items"]] == ["新建客户 华为技术有限公司"]
