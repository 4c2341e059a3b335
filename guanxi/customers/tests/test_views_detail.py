"""The customer 360 page, its sections and its inline htmx forms."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.models import Communication, Contact, Preference
from guanxi.customers.services import customer_create, customer_update
from guanxi.customers.tests.factories import (
    OrderFactory,
    ProductFactory,
    TimelineEntryFactory,
)
from guanxi.customers.timeline import register_kind
from guanxi.orders.models import Order

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer(am_a):
    c = customer_create(
        actor=am_a,
        data={"name": "华为技术有限公司", "phone": "13800138000", "status": "active"},
        tags=["大客户"],
    )
    customer_update(actor=am_a, customer_id=c.pk, data={"status": "dormant"}, version=1)
    return c


def _url(name, customer, *args):
    name = name if ":" in name else f"customers:{name}"
    return reverse(name, args=[customer.pk, *args])


def test_360_page_shows_header_sections_timeline_and_history(client, am_a, customer):
    client.force_login(am_a)
    response = client.get(_url("detail", customer))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("华为技术有限公司", "企业", "休眠", "大客户", "13800138000", "偏好与习惯",
                 "购买概况", "待跟进", "联系人", "客户时间线", "变更历史"):  # fmt: skip
        assert text in html, text
    assert html.index("偏好与习惯") < html.index("客户时间线")  # preferences at the top
    assert "新建客户 华为技术有限公司" in html
    # history: field name and old → new, choices as their labels
    assert '<span class="gx-muted">状态</span>：<span class="gx-old">活跃</span> → ' in html


def test_purchase_summary(client, am_a, customer):
    OrderFactory(customer=customer, order_date=dt.date(2025, 1, 1), total=Decimal("1000"))
    OrderFactory(customer=customer, order_date=dt.date(2025, 1, 31), total=Decimal("234.56"))
    client.force_login(am_a)
    html = client.get(_url("detail", customer)).content.decode()
    assert "¥1,234.56" in html  # total
    assert "¥617.28" in html  # average
    assert "30.0 天" in html  # average days between purchases
    assert "2025-01-31" in html  # last purchase


def test_timeline_is_paginated_newest_first_with_load_more(client, am_a, customer):
    base = timezone.now() - dt.timedelta(days=100)
    for i in range(45):
        TimelineEntryFactory(customer=customer, occurred_at=base + dt.timedelta(days=i),
                             title=f"事件{i:02d}")  # fmt: skip
    client.force_login(am_a)
    html = client.get(_url("detail", customer)).content.decode()
    assert html.index("新建客户") < html.index("事件44") < html.index("事件43")
    assert "事件27" in html and "事件26" not in html  # 2 entries of the customer + 18
    assert f"{_url('timeline', customer)}?page=2" in html
    page2 = client.get(_url("timeline", customer), {"page": 2}, **HX).content.decode()
    assert "事件26" in page2 and "事件07" in page2 and "事件27" not in page2
    assert "<html" not in page2
    assert "?page=3" in page2
    page3 = client.get(_url("timeline", customer), {"page": 3}, **HX).content.decode()
    assert "事件00" in page3 and "?page=4" not in page3


def test_timeline_renders_any_registered_kind(client, am_a, customer):
    register_kind("ticket_test", label="工单测试", icon="T", color="danger")
    TimelineEntryFactory(customer=customer, kind="ticket_test", title="报修：空调不制冷")
    TimelineEntryFactory(customer=customer, kind="unregistered_kind", title="未知事件")
    client.force_login(am_a)
    html = client.get(_url("detail", customer)).content.decode()
    assert "工单测试" in html and "bg-danger" in html and "报修：空调不制冷" in html
    assert "unregistered_kind" in html and "未知事件" in html


def test_add_contact_inline(client, am_a, customer):
    client.force_login(am_a)
    response = client.post(
        _url("contact_add", customer),
        {
            "contact-name": "张伟",
            "contact-title": "采购经理",
            "contact-mobile": "139 0013 9000",
            "contact-is_primary": "on",
        },
        **HX,
    )
    assert response.status_code == 200
    assert "联系人已添加。" in response.content.decode()
    assert set(json.loads(response["HX-Trigger"])) == {
        "gx:contacts", "gx:communication-form", "gx:timeline", "gx:history"
    }  # fmt: skip
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.mobile_key, contact.is_primary) == ("张伟", "13900139000", True)
    section = client.get(_url("section", customer, "contacts"), **HX).content.decode()
    assert "张伟" in section and "采购经理" in section


def test_add_contact_with_bad_phone_shows_error_and_saves_nothing(client, am_a, customer):
    client.force_login(am_a)
    response = client.post(
        _url("contact_add", customer), {"contact-name": "张伟", "contact-mobile": "12"}, **HX
    )
    assert response.status_code == 422
    assert "电话号码格式不正确：12" in response.content.decode()
    assert "HX-Trigger" not in response
    assert not Contact.objects.exists()


def test_add_preference_inline(client, am_a, customer):
    client.force_login(am_a)
    data = {"pref-category": "diet", "pref-key": "茶", "pref-value": "只喝龙井"}
    response = client.post(_url("preference_add", customer), data, **HX)
    assert response.status_code == 200
    assert Preference.objects.get(customer=customer).value == "只喝龙井"
    section = client.get(_url("section", customer, "preferences"), **HX).content.decode()
    assert "只喝龙井" in section
    duplicate = client.post(_url("preference_add", customer), data, **HX)
    assert duplicate.status_code == 422
    assert "该客户已有同类同名的偏好。" in duplicate.content.decode()


def test_log_communication_inline(client, am_a, customer):
    contact = Contact.objects.create(customer=customer, name="张伟")
    client.force_login(am_a)
    response = client.post(
        _url("communication_add", customer),
        {"comm-channel": "phone", "comm-direction": "out", "comm-occurred_at": "2026-03-01T10:30",
         "comm-summary": "电话沟通年度采购计划", "comm-contact": contact.pk,
         "comm-next_follow_up": "2099-03-08"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 200
    comm = Communication.objects.get(customer=customer)
    assert comm.contact == contact and comm.next_follow_up == dt.date(2099, 3, 8)
    assert timezone.localtime(comm.occurred_at).hour == 10  # entered in Asia/Shanghai
    timeline = client.get(_url("section", customer, "timeline"), **HX).content.decode()
    assert "电话沟通年度采购计划" in timeline and "2099-03-08" in timeline
    followups = client.get(_url("section", customer, "followups"), **HX).content.decode()
    assert "2099-03-08" in followups


def test_log_communication_rejects_other_customers_contact(client, am_a, customer):
    other = customer_create(actor=am_a, data={"name": "别家"})
    stranger = Contact.objects.create(customer=other, name="李四")
    client.force_login(am_a)
    response = client.post(
        _url("communication_add", customer),
        {"comm-channel": "phone", "comm-direction": "out", "comm-occurred_at": "2026-03-01T10:30",
         "comm-summary": "x", "comm-contact": stranger.pk},
        **HX,
    )  # fmt: skip
    assert response.status_code == 422
    assert not Communication.objects.exists()


def test_create_order_with_lines_inline(client, am_a, customer):
    product = ProductFactory(unit_price=Decimal("1000.00"))
    client.force_login(am_a)
    response = client.post(
        _url("orders:add", customer),
        {"order-order_date": "2025-03-01", "order-number": "", "order-note": "",
         "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0",
         "lines-0-product": product.pk, "lines-0-quantity": "3", "lines-0-unit_price": "",
         "lines-1-description": "安装服务", "lines-1-quantity": "1",
         "lines-1-unit_price": "500",
         "lines-2-quantity": "1"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 200, response.content.decode()
    order = Order.objects.get(customer=customer)
    assert order.total == Decimal("3500.00")
    assert order.lines.count() == 2
    purchases = client.get(_url("section", customer, "purchases"), **HX).content.decode()
    assert "¥3,500.00" in purchases


def test_order_without_lines_is_refused(client, am_a, customer):
    client.force_login(am_a)
    response = client.post(
        _url("orders:add", customer),
        {"order-order_date": "2025-03-01", "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
         "lines-0-quantity": "1", "lines-1-quantity": "1"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 422
    assert "订单至少需要一行明细。" in response.content.decode()
    assert not Order.objects.exists()


def test_order_line_without_product_or_description(client, am_a, customer):
    client.force_login(am_a)
    response = client.post(
        _url("orders:add", customer),
        {"order-order_date": "2025-03-01", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
         "lines-0-quantity": "2", "lines-0-unit_price": "10"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 422
    assert "请选择产品或填写描述。" in response.content.decode()


def test_order_line_service_error_is_shown_on_the_line(client, am_a, customer):
    client.force_login(am_a)
    response = client.post(
        _url("orders:add", customer),
        {"order-order_date": "2025-03-01", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
         "lines-0-description": "服务", "lines-0-quantity": "1"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 422
    formset = response.context["line_formset"]
    assert formset.forms[0].errors["unit_price"] == ["此字段必填。"]


def test_unknown_section_is_404(client, am_a, customer):
    client.force_login(am_a)
    assert client.get(_url("section", customer, "nope")).status_code == 404


def test_read_only_user_sees_no_write_forms(client, agent, customer):
    client.force_login(agent)
    html = client.get(_url("detail", customer)).content.decode()
    assert "华为技术有限公司" in html
    assert 'id="contact-form"' not in html and 'id="order-form"' not in html
    assert 'id="communication-form"' in html  # the service desk logs calls
    assert (
        client.post(_url("contact_add", customer), {"contact-name": "x"}, **HX).status_code == 403
    )


def test_history_names_the_people_not_their_ids(client, manager_a, am_a, am_a2, customer):
    client.force_login(manager_a)
    customer.refresh_from_db()
    customer_update(
        actor=manager_a,
        customer_id=customer.pk,
        data={},
        owner_id=am_a2.pk,
        version=customer.version,
    )
    html = client.get(_url("detail", customer)).content.decode()
    assert (
        f'<span class="gx-muted">客户经理</span>：<span class="gx-old">{am_a}</span> → '
        f'<span class="gx-new">{am_a2}</span>'
    ) in html
    assert "phone key" not in html and "phone_key" not in html
