"""Editing, deleting and one-click actions on the customer 360 page (and the order page):
each swaps in place over htmx, sends the version the user saw, and leaves the database
exactly as it was when it refuses."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.core.models import AuditEntry
from guanxi.customers import services
from guanxi.customers.models import Communication, Contact, Customer, Preference
from guanxi.customers.tests.factories import OrderFactory, OrderLineFactory, ProductFactory
from guanxi.orders import services as order_services
from guanxi.orders.models import Order

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
STALE_EDIT = "有人在你编辑期间修改了这条记录，本次保存未执行。"
STALE_CLICK = "这条记录刚被他人修改，下面已是最新内容；请确认后再操作。"


@pytest.fixture
def customer(am_a):
    return services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})


@pytest.fixture
def contact(am_a, customer):
    return services.contact_create(
        actor=am_a,
        customer_id=customer.pk,
        data={"name": "张伟", "title": "采购经理", "mobile": "13900139000"},
    )


@pytest.fixture
def pref(am_a, customer):
    return services.preference_create(
        actor=am_a, customer_id=customer.pk, data={"category": "diet", "key": "茶", "value": "龙井"}
    )


@pytest.fixture
def comm(am_a, customer, contact):
    return services.communication_create(
        actor=am_a,
        customer_id=customer.pk,
        data={
            "channel": "phone",
            "direction": "out",
            "occurred_at": dt.datetime(2026, 3, 1, 10, 30, 17, tzinfo=dt.UTC),
            "summary": "电话沟通年度采购计划",
            "contact_id": contact.pk,
            "next_follow_up": dt.date(2099, 3, 8),
        },
    )


@pytest.fixture
def order(am_a, customer):
    return order_services.order_create(
        actor=am_a,
        customer_id=customer.pk,
        order_date=dt.date(2025, 3, 1),
        lines=[
            {"description": "年度维保服务", "quantity": 2, "unit_price": "1500"},
            {"description": "上门安装", "quantity": 1, "unit_price": "500"},
        ],
    )


def _url(name, customer, *args):
    name = name if ":" in name else f"customers:{name}"
    return reverse(name, args=[customer.pk, *args])


def _contact_data(contact, **overrides):
    data = {
        f"contact-{contact.pk}-name": contact.name,
        f"contact-{contact.pk}-title": contact.title,
        f"contact-{contact.pk}-mobile": contact.mobile,
        f"contact-{contact.pk}-version": contact.version,
    }
    data.update({f"contact-{contact.pk}-{k}": v for k, v in overrides.items()})
    return data


def _pref_data(pref, **overrides):
    data = {
        f"pref-{pref.pk}-category": pref.category,
        f"pref-{pref.pk}-key": pref.key,
        f"pref-{pref.pk}-value": pref.value,
        f"pref-{pref.pk}-version": pref.version,
    }
    data.update({f"pref-{pref.pk}-{k}": v for k, v in overrides.items()})
    return data


def _comm_data(comm, **overrides):
    local = timezone.localtime(comm.occurred_at)
    data = {
        f"comm-{comm.pk}-channel": comm.channel,
        f"comm-{comm.pk}-direction": comm.direction,
        f"comm-{comm.pk}-occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
        f"comm-{comm.pk}-contact": comm.contact_id or "",
        f"comm-{comm.pk}-summary": comm.summary,
        f"comm-{comm.pk}-next_follow_up": comm.next_follow_up.isoformat()
        if comm.next_follow_up
        else "",
        f"comm-{comm.pk}-version": comm.version,
    }
    data.update({f"comm-{comm.pk}-{k}": v for k, v in overrides.items()})
    return data


def _triggers(response):
    return set(json.loads(response["HX-Trigger"]))


# --- contacts ----------------------------------------------------------------------------


def test_contact_edit_form_swaps_in_for_the_row(client, am_a, customer, contact):
    client.force_login(am_a)
    response = client.get(_url("contact_edit", customer, contact.pk), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="contact-{contact.pk}"' in html and "data-gx-edit" in html
    assert f'name="contact-{contact.pk}-version" value="1"' in html
    assert 'value="张伟"' in html and "<html" not in html


def test_contact_edit_saves_consent_and_answers_the_row(client, am_a, customer, contact):
    client.force_login(am_a)
    response = client.post(
        _url("contact_edit", customer, contact.pk),
        _contact_data(contact, name="张伟伟", consent_marketing="on"),
        **HX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "张伟伟" in html and "已保存" in html and "同意营销联系" in html
    assert _triggers(response) == {"gx:communication-form", "gx:history"}
    contact.refresh_from_db()
    assert (contact.name, contact.consent_marketing, contact.version) == ("张伟伟", True, 2)
    assert contact.consent_updated_at is not None
    update = AuditEntry.objects.get(model="customers.contact", action="update")
    assert update.changes["consent_marketing"] == [False, True]


def test_contact_edit_with_stale_version_is_refused_with_409(client, am_a, customer, contact):
    services.contact_update(actor=am_a, contact_id=contact.pk, data={"title": "总经理"}, version=1)
    client.force_login(am_a)
    response = client.post(
        _url("contact_edit", customer, contact.pk), _contact_data(contact, name="李四"), **HX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert STALE_EDIT in html and "载入最新版本" in html
    assert "该记录已被他人修改（当前版本 2，提交版本 1）" in html
    assert "HX-Trigger" not in response
    contact.refresh_from_db()
    assert (contact.name, contact.title, contact.version) == ("张伟", "总经理", 2)


def test_contact_edit_bad_phone_is_a_field_error_and_changes_nothing(
    client, am_a, customer, contact
):
    client.force_login(am_a)
    response = client.post(
        _url("contact_edit", customer, contact.pk),
        _contact_data(contact, name="李四", mobile="12"),
        **HX,
    )
    assert response.status_code == 422
    assert response.context["form"].errors["mobile"] == ["电话号码格式不正确：12"]
    assert "is-invalid" in response.content.decode()
    contact.refresh_from_db()
    assert (contact.name, contact.mobile, contact.version) == ("张伟", "13900139000", 1)


def test_contact_edit_without_name_or_version_is_refused(client, am_a, customer, contact):
    client.force_login(am_a)
    data = _contact_data(contact, name="")
    del data[f"contact-{contact.pk}-version"]
    response = client.post(_url("contact_edit", customer, contact.pk), data, **HX)
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"name", "version"}
    contact.refresh_from_db()
    assert contact.name == "张伟" and contact.version == 1


def test_contact_row_is_the_cancel_of_the_edit_form(client, am_a, customer, contact):
    client.force_login(am_a)
    html = client.get(_url("contact_row", customer, contact.pk), **HX).content.decode()
    assert f'id="contact-{contact.pk}"' in html and "张伟" in html and "data-gx-edit" not in html


def test_contact_delete(client, am_a, customer, contact):
    client.force_login(am_a)
    response = client.post(_url("contact_delete", customer, contact.pk), {"version": 1}, **HX)
    assert response.status_code == 200 and response.content == b""
    assert _triggers(response) == {"gx:contacts", "gx:communication-form", "gx:history"}
    assert not Contact.objects.exists()
    section = client.get(_url("section", customer, "contacts"), **HX).content.decode()
    assert "还没有联系人。" in section
    assert AuditEntry.objects.filter(model="customers.contact", action="delete").count() == 1


def test_contact_delete_of_a_changed_contact_shows_it_again(client, am_a, customer, contact):
    services.contact_update(actor=am_a, contact_id=contact.pk, data={"title": "总经理"}, version=1)
    client.force_login(am_a)
    response = client.post(_url("contact_delete", customer, contact.pk), {"version": 1}, **HX)
    html = response.content.decode()
    assert response.status_code == 409
    assert STALE_CLICK in html and "总经理" in html and '"version": "2"' in html
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_contact_delete_without_version_is_refused(client, am_a, customer, contact):
    client.force_login(am_a)
    response = client.post(_url("contact_delete", customer, contact.pk), {"version": "x"}, **HX)
    assert response.status_code == 422
    assert "请求无效，请刷新页面后重试。" in response.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_contact_of_another_customer_is_not_found(client, am_a, customer, contact):
    other = services.customer_create(actor=am_a, data={"name": "别家"})
    client.force_login(am_a)
    assert client.get(_url("contact_edit", other, contact.pk), **HX).status_code == 404
    response = client.post(_url("contact_delete", other, contact.pk), {"version": 1}, **HX)
    assert response.status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


# --- preferences -------------------------------------------------------------------------


def test_preference_edit(client, am_a, customer, pref):
    client.force_login(am_a)
    form = client.get(_url("preference_edit", customer, pref.pk), **HX).content.decode()
    assert f'id="pref-{pref.pk}"' in form and 'value="龙井"' in form
    response = client.post(
        _url("preference_edit", customer, pref.pk), _pref_data(pref, value="只喝明前龙井"), **HX
    )
    assert response.status_code == 200
    assert "只喝明前龙井" in response.content.decode()
    assert _triggers(response) == {"gx:history"}
    pref.refresh_from_db()
    assert (pref.value, pref.version) == ("只喝明前龙井", 2)


def test_preference_edit_stale(client, am_a, customer, pref):
    services.preference_update(actor=am_a, preference_id=pref.pk, data={"note": "少糖"}, version=1)
    client.force_login(am_a)
    response = client.post(
        _url("preference_edit", customer, pref.pk), _pref_data(pref, value="普洱"), **HX
    )
    assert response.status_code == 409
    assert STALE_EDIT in response.content.decode()
    pref.refresh_from_db()
    assert (pref.value, pref.note, pref.version) == ("龙井", "少糖", 2)


def test_preference_edit_to_a_duplicate_key_is_a_field_error(client, am_a, customer, pref):
    other = services.preference_create(
        actor=am_a,
        customer_id=customer.pk,
        data={"category": "diet", "key": "咖啡", "value": "美式"},
    )
    client.force_login(am_a)
    response = client.post(
        _url("preference_edit", customer, other.pk), _pref_data(other, key="茶"), **HX
    )
    assert response.status_code == 422
    assert response.context["form"].errors["key"] == ["该客户已有同类同名的偏好。"]
    other.refresh_from_db()
    assert (other.key, other.version) == ("咖啡", 1)


def test_preference_edit_bad_category(client, am_a, customer, pref):
    client.force_login(am_a)
    response = client.post(
        _url("preference_edit", customer, pref.pk), _pref_data(pref, category="nope"), **HX
    )
    assert response.status_code == 422
    assert "category" in response.context["form"].errors
    pref.refresh_from_db()
    assert (pref.category, pref.version) == ("diet", 1)


def test_preference_delete_and_stale_delete(client, am_a, customer, pref):
    client.force_login(am_a)
    services.preference_update(actor=am_a, preference_id=pref.pk, data={"value": "普洱"}, version=1)
    stale = client.post(_url("preference_delete", customer, pref.pk), {"version": 1}, **HX)
    assert stale.status_code == 409 and "普洱" in stale.content.decode()
    assert Preference.objects.filter(pk=pref.pk).exists()
    response = client.post(_url("preference_delete", customer, pref.pk), {"version": 2}, **HX)
    assert response.status_code == 200 and response.content == b""
    assert _triggers(response) == {"gx:preferences", "gx:history"}
    assert not Preference.objects.exists()


# --- communications and follow-ups ---------------------------------------------------------


def test_follow_up_done_in_one_click(client, am_a, customer, comm):
    client.force_login(am_a)
    page = client.get(_url("detail", customer)).content.decode()
    done_url = _url("follow_up_done", customer, comm.pk)
    assert done_url in page
    response = client.post(done_url, {"version": 1}, **HX)
    assert response.status_code == 200 and response.content == b""
    assert _triggers(response) == {"gx:followups", "gx:timeline", "gx:history"}
    comm.refresh_from_db()
    assert comm.follow_up_done and comm.version == 2
    followups = client.get(_url("section", customer, "followups"), **HX).content.decode()
    assert "2099-03-08" not in followups and "没有待办的跟进。" in followups
    timeline = client.get(_url("section", customer, "timeline"), **HX).content.decode()
    assert "已完成" in timeline


def test_follow_up_done_on_a_changed_communication_is_409(client, am_a, customer, comm):
    services.communication_update(
        actor=am_a,
        communication_id=comm.pk,
        data={"next_follow_up": dt.date(2099, 4, 1)},
        version=1,
    )
    client.force_login(am_a)
    response = client.post(_url("follow_up_done", customer, comm.pk), {"version": 1}, **HX)
    html = response.content.decode()
    assert response.status_code == 409
    assert STALE_CLICK in html and "2099-04-01" in html
    comm.refresh_from_db()
    assert not comm.follow_up_done and comm.version == 2


def test_service_agent_marks_a_follow_up_done_but_edits_no_contact(
    client, agent, customer, contact, comm
):
    client.force_login(agent)
    page = client.get(_url("detail", customer)).content.decode()
    assert _url("follow_up_done", customer, comm.pk) in page
    assert _url("contact_edit", customer, contact.pk) not in page
    assert _url("contact_delete", customer, contact.pk) not in page
    assert _url("delete", customer) not in page
    response = client.post(_url("follow_up_done", customer, comm.pk), {"version": 1}, **HX)
    assert response.status_code == 200
    comm.refresh_from_db()
    assert comm.follow_up_done
    assert client.get(_url("contact_edit", customer, contact.pk), **HX).status_code == 403
    assert (
        client.post(_url("contact_delete", customer, contact.pk), {"version": 1}, **HX).status_code
        == 403
    )
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_communication_edit_from_the_timeline_rewrites_its_entry(client, am_a, customer, comm):
    client.force_login(am_a)
    timeline = client.get(_url("section", customer, "timeline"), **HX).content.decode()
    edit_url = _url("communication_edit", customer, comm.pk)
    assert f"{edit_url}?in=timeline" in timeline
    form = client.get(edit_url, {"in": "timeline"}, **HX).content.decode()
    assert f'name="comm-{comm.pk}-summary"' in form
    assert _url("section", customer, "timeline") in form  # "cancel" reloads the timeline
    response = client.post(
        f"{edit_url}?in=timeline",
        _comm_data(comm, channel="visit", summary="上门拜访，确认采购计划"),
        **HX,
    )
    assert response.status_code == 200, response.content.decode()
    assert _triggers(response) == {"gx:followups", "gx:timeline", "gx:history"}
    comm.refresh_from_db()
    assert (comm.channel, comm.summary, comm.version) == ("visit", "上门拜访，确认采购计划", 2)
    assert comm.occurred_at.second == 17  # the unchanged minute kept its seconds
    timeline = client.get(_url("section", customer, "timeline"), **HX).content.decode()
    assert "上门拜访，确认采购计划" in timeline and "电话沟通年度采购计划" not in timeline
    assert "拜访 · 我方联系" in timeline
    update = AuditEntry.objects.get(model="customers.communication", action="update")
    assert set(update.changes) == {"channel", "summary"}


def test_communication_edit_that_changes_nothing_keeps_the_version(client, am_a, customer, comm):
    client.force_login(am_a)
    response = client.post(_url("communication_edit", customer, comm.pk), _comm_data(comm), **HX)
    assert response.status_code == 200
    comm.refresh_from_db()
    assert comm.version == 1
    assert not AuditEntry.objects.filter(model="customers.communication", action="update")


def test_communication_edit_stale_and_bad_input(client, am_a, customer, comm):
    client.force_login(am_a)
    url = _url("communication_edit", customer, comm.pk)
    empty = client.post(url, _comm_data(comm, summary=""), **HX)
    assert empty.status_code == 422 and "summary" in empty.context["form"].errors
    services.communication_update(
        actor=am_a, communication_id=comm.pk, data={"summary": "改过"}, version=1
    )
    stale = client.post(url, _comm_data(comm, summary="我的修改"), **HX)
    assert stale.status_code == 409 and STALE_EDIT in stale.content.decode()
    comm.refresh_from_db()
    assert (comm.summary, comm.version) == ("改过", 2)


def test_communication_edit_refuses_another_customers_contact(client, am_a, customer, comm):
    other = services.customer_create(actor=am_a, data={"name": "别家"})
    stranger = services.contact_create(actor=am_a, customer_id=other.pk, data={"name": "李四"})
    client.force_login(am_a)
    response = client.post(
        _url("communication_edit", customer, comm.pk), _comm_data(comm, contact=stranger.pk), **HX
    )
    assert response.status_code == 422
    comm.refresh_from_db()
    assert comm.contact_id != stranger.pk and comm.version == 1


def test_service_agent_may_edit_a_communication_it_logged(client, agent, customer, comm):
    Communication.objects.filter(pk=comm.pk).update(staff=agent)
    client.force_login(agent)
    response = client.post(
        _url("communication_edit", customer, comm.pk), _comm_data(comm, summary="客服补充"), **HX
    )
    assert response.status_code == 200
    comm.refresh_from_db()
    assert comm.summary == "客服补充"


def test_service_agent_may_not_rewrite_someone_elses_communication(client, agent, customer, comm):
    client.force_login(agent)
    before = comm.summary
    response = client.post(
        _url("communication_edit", customer, comm.pk), _comm_data(comm, summary="改写"), **HX
    )
    assert response.status_code == 403
    comm.refresh_from_db()
    assert comm.summary == before


# --- orders --------------------------------------------------------------------------------


def test_order_detail_shows_lines_total_and_status(client, am_a, customer, order):
    client.force_login(am_a)
    page = client.get(_url("detail", customer)).content.decode()
    detail_url = _url("orders:detail", customer, order.pk)
    assert detail_url in page  # reachable from the recent orders
    response = client.get(detail_url)
    html = response.content.decode()
    assert response.status_code == 200
    for text in (order.number, "年度维保服务", "上门安装", "¥1,500.00", "¥3,500.00", "已确认",
                 "华为技术有限公司", "取消订单"):  # fmt: skip
        assert text in html, text


def test_order_cancel(client, am_a, customer, order):
    client.force_login(am_a)
    response = client.post(_url("orders:cancel", customer, order.pk), {"version": 1}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "已取消" in html and "订单已取消。" in html and "取消订单" not in html
    order.refresh_from_db()
    assert order.status == "cancelled" and order.version == 2


def test_order_cancel_stale(client, am_a, customer, order):
    order_services.order_cancel(actor=am_a, order_id=order.pk, version=1)
    client.force_login(am_a)
    response = client.post(_url("orders:cancel", customer, order.pk), {"version": 1}, **HX)
    assert response.status_code == 409
    assert "该订单刚被他人修改，下面已是最新状态；请确认后再操作。" in response.content.decode()
    order.refresh_from_db()
    assert order.version == 2


def test_order_cancel_without_htmx_redirects_with_a_message(client, am_a, customer, order):
    client.force_login(am_a)
    response = client.post(_url("orders:cancel", customer, order.pk), {"version": 1}, follow=True)
    assert response.redirect_chain[-1][0] == _url("orders:detail", customer, order.pk)
    assert "订单已取消。" in response.content.decode()


def test_service_agent_reads_an_order_but_cannot_cancel_it(client, agent, customer, order):
    client.force_login(agent)
    html = client.get(_url("orders:detail", customer, order.pk)).content.decode()
    assert "年度维保服务" in html and 'id="order-cancel"' not in html
    response = client.post(_url("orders:cancel", customer, order.pk), {"version": 1}, **HX)
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_order_of_another_customer_is_not_found(client, am_a, customer, order):
    other = services.customer_create(actor=am_a, data={"name": "别家"})
    client.force_login(am_a)
    assert client.get(_url("orders:detail", other, order.pk)).status_code == 404


@pytest.mark.parametrize("n", [3, 40])
def test_order_detail_query_count(client, am_a, customer, django_assert_num_queries, n):
    products = ProductFactory.create_batch(3)
    order = OrderFactory(customer=customer, created_by=am_a, total=Decimal(n * 100))
    for i in range(n):
        OrderLineFactory(order=order, product=products[i % 3] if i % 2 else None)
    client.force_login(am_a)
    # session, user, customer (with owner, team), its tags, order (with creator), lines (with
    # products)
    with django_assert_num_queries(6):
        response = client.get(_url("orders:detail", customer, order.pk))
    assert response.status_code == 200


# --- the customer --------------------------------------------------------------------------


def test_customer_delete(client, am_a, customer, contact):
    client.force_login(am_a)
    page = client.get(_url("detail", customer)).content.decode()
    assert _url("delete", customer) in page
    response = client.post(_url("delete", customer), {"version": 1}, **HX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("customers:list")
    # into the recycle bin: gone from the list, restorable with its contacts
    assert not Customer.objects.exists()
    assert Customer.all_objects.get(pk=customer.pk).deleted_at is not None
    assert Contact.objects.filter(pk=contact.pk).exists()
    listing = client.get(reverse("customers:list")).content.decode()
    assert "客户“华为技术有限公司”已移入回收站，30 天内可恢复。" in listing
    assert "华为技术有限公司</a>" not in listing


def test_customer_with_orders_is_not_deleted_and_says_why(client, am_a, customer, order):
    client.force_login(am_a)
    response = client.post(_url("delete", customer), {"version": 1}, **HX)
    assert response.status_code == 409
    assert "该客户有订单，不能删除；可将状态改为“流失”。" in response.content.decode()
    assert "HX-Redirect" not in response
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Order.objects.filter(pk=order.pk).exists()


def test_customer_delete_with_stale_version(client, am_a, customer):
    services.customer_update(actor=am_a, customer_id=customer.pk, data={"city": "深圳"}, version=1)
    client.force_login(am_a)
    response = client.post(_url("delete", customer), {"version": 1}, **HX)
    assert response.status_code == 409
    assert "这位客户的资料刚被他人修改" in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_customer_delete_without_htmx(client, am_a, customer, order):
    client.force_login(am_a)
    refused = client.post(_url("delete", customer), {"version": 1}, follow=True)
    assert refused.redirect_chain[-1][0] == _url("detail", customer)
    assert "该客户有订单，不能删除" in refused.content.decode()
    plain = services.customer_create(actor=am_a, data={"name": "空壳公司"})
    response = client.post(_url("delete", plain), {"version": 1})
    assert response.status_code == 302 and response["Location"] == reverse("customers:list")
    assert not Customer.objects.filter(pk=plain.pk).exists()


def test_service_agent_cannot_delete_a_customer(client, agent, customer):
    client.force_login(agent)
    assert client.post(_url("delete", customer), {"version": 1}, **HX).status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


# --- who may reach the new URLs -------------------------------------------------------------


def _new_urls(customer, contact, pref, comm, order):
    c = customer
    gets = [
        _url("contact_row", c, contact.pk),
        _url("contact_edit", c, contact.pk),
        _url("preference_row", c, pref.pk),
        _url("preference_edit", c, pref.pk),
        _url("communication_edit", c, comm.pk),
        _url("orders:detail", c, order.pk),
    ]
    posts = [
        (_url("contact_edit", c, contact.pk), _contact_data(contact, name="改")),
        (_url("contact_delete", c, contact.pk), {"version": 1}),
        (_url("preference_edit", c, pref.pk), _pref_data(pref, value="改")),
        (_url("preference_delete", c, pref.pk), {"version": 1}),
        (_url("communication_edit", c, comm.pk), _comm_data(comm, summary="改")),
        (_url("follow_up_done", c, comm.pk), {"version": 1}),
        (_url("orders:cancel", c, order.pk), {"version": 1}),
        (_url("delete", c), {"version": 1}),
    ]
    return gets, posts


def _assert_unchanged(customer, contact, pref, comm, order):
    for obj in (customer, contact, pref, comm, order):
        before = obj.version
        obj.refresh_from_db()
        assert obj.version == before, obj
    assert not comm.follow_up_done and order.status == "confirmed"


@pytest.fixture
def records(customer, contact, pref, comm, order):
    return customer, contact, pref, comm, order


def test_other_teams_account_manager_gets_404_everywhere(client, am_b, records):
    client.force_login(am_b)
    gets, posts = _new_urls(*records)
    for url in gets:
        assert client.get(url, **HX).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data, **HX).status_code == 404, url
    _assert_unchanged(*records)


def test_portal_user_gets_403_everywhere(client, portal_user, records):
    client.force_login(portal_user)
    gets, posts = _new_urls(*records)
    for url in gets:
        assert client.get(url, **HX).status_code == 403, url
    for url, data in posts:
        assert client.post(url, data, **HX).status_code == 403, url
    _assert_unchanged(*records)


def test_anonymous_is_sent_to_login(client, records):
    gets, posts = _new_urls(*records)
    login = reverse("accounts:login")
    for url in gets + [u for u, _d in posts]:
        response = client.post(url, {}) if url in dict(posts) else client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    _assert_unchanged(*records)


def test_manager_of_the_team_may_edit(client, manager_a, customer, contact):
    client.force_login(manager_a)
    response = client.post(
        _url("contact_edit", customer, contact.pk), _contact_data(contact, title="总监"), **HX
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.title == "总监"
