"""The duplicate check on entry (查重, issue 10 item 18): the scoped selector, the check
endpoint the form asks while the user types, and the services that refuse a likely
duplicate without a reason and record the reason when one is given."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.core.errors import ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers import selectors, services
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.customers.tests.duplicates.support import contact, customer
from guanxi.customers.tests.test_api_support import Api, error_fields

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
HIDDEN_HINT = "无权查看"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _check(user, **params) -> str:
    response = _client(user).get(reverse("customers:duplicate_check"), params, **HX)
    assert response.status_code == 200
    return response.content.decode()


# --- the selector ----------------------------------------------------------------------


def test_same_name_key_phone_and_email_are_found_with_their_reasons(am_a):
    first = customer(am_a, "华为技术有限公司", phone="0755-28780808", email="info@huawei.com")

    matches = selectors.likely_duplicates(
        actor=am_a, name="華為技術", phone="+86 755 2878 0808", email="INFO@huawei.com "
    )

    assert [(m.id, m.reasons) for m in matches] == [(first.pk, ("name", "phone", "email"))]


def test_a_contacts_phone_or_email_is_a_reason(am_a):
    other = customer(am_a, "深圳某某贸易")
    contact(other, mobile="13800138000", email="li@example.com")

    by_phone = selectors.likely_duplicates(actor=am_a, name="完全不同的名字", phone="138 0013 8000")
    by_mail = selectors.likely_duplicates(actor=am_a, email="li@example.com")

    assert [(m.id, m.reasons) for m in by_phone] == [(other.pk, ("contact",))]
    assert [(m.id, m.reasons) for m in by_mail] == [(other.pk, ("contact",))]


def test_nothing_typed_or_half_typed_finds_nothing(am_a):
    customer(am_a, "华为技术", phone="13800138000", email="a@b.cn")
    assert selectors.likely_duplicates(actor=am_a) == []
    assert selectors.likely_duplicates(actor=am_a, name="华", phone="138", email="a@") == []


def test_the_record_being_edited_is_not_its_own_duplicate(am_a):
    first = customer(am_a, "华为技术")
    assert selectors.likely_duplicates(actor=am_a, name="华为技术", exclude_id=first.pk) == []


def test_out_of_scope_customers_are_not_named(am_a, am_b):
    customer(am_b, "华为技术", phone="13800138000")

    assert selectors.likely_duplicates(actor=am_a, name="华为技术", phone="13800138000") == []
    html = _check(am_a, name="华为技术", phone="13800138000")
    # no name, no id, no hint that a hidden customer exists: not an existence oracle
    assert html == ""


def test_deleted_customers_are_not_duplicates(am_a):
    gone = services.customer_create(actor=am_a, data={"name": "华为技术"})
    services.customer_delete(actor=am_a, customer_id=gone.pk, version=gone.version)
    assert selectors.likely_duplicates(actor=am_a, name="华为技术") == []


# --- the check endpoint (htmx, while typing) ----------------------------------------------


def test_check_endpoint_lists_matches_with_links_and_the_reason_field(am_a):
    first = customer(am_a, "华为技术有限公司", phone="0755-28780808")

    html = _check(am_a, name="华为技术", phone="", email="")

    assert reverse("customers:detail", args=[first.pk]) in html
    assert "华为技术有限公司" in html and f"#{first.pk}" in html
    assert "名称相同" in html and 'name="duplicate_reason"' in html
    assert HIDDEN_HINT not in html


def test_check_endpoint_answers_empty_without_matches(am_a):
    assert _check(am_a, name="全新的公司", phone="13900000000") == ""


def test_check_endpoint_in_english(am_a):
    customer(am_a, "华为技术", phone="13800138000")
    response = _client(am_a).get(
        reverse("customers:duplicate_check"),
        {"name": "华为技术", "phone": "13800138000"},
        HTTP_ACCEPT_LANGUAGE="en",
        **HX,
    )
    html = response.content.decode()
    assert "Possible duplicate of" in html and "Same name" in html and "Same phone" in html


def test_check_endpoint_ignores_a_bad_exclude_id(am_a):
    customer(am_a, "华为技术")
    assert "华为技术" in _check(am_a, name="华为技术", exclude="99999999999999999999999")


def test_check_endpoint_query_count_is_pinned(am_a, django_assert_num_queries):
    for i in range(8):
        other = customer(am_a, f"华为技术{i}", phone="13800138000")
        contact(other, email="x@example.com")
    client = _client(am_a)
    url = reverse("customers:duplicate_check")
    client.get(url, {"name": "华为技术1"}, **HX)  # warm the session
    # session, user, the contacts' customer ids, the actor's shared customers (scope), the
    # customers: the same five however many customers match
    with django_assert_num_queries(5):
        response = client.get(
            url, {"name": "华为技术1", "phone": "13800138000", "email": "x@example.com"}, **HX
        )
    assert response.content.decode().count("gx-duplicate-match") == selectors.DUPLICATE_CHECK_LIMIT


def test_check_endpoint_is_staff_only(portal_user):
    response = _client(portal_user).get(reverse("customers:duplicate_check"), {"name": "华为"})
    assert response.status_code in (302, 403)


# --- the services -----------------------------------------------------------------------


def test_an_exact_copy_is_refused_without_a_reason(am_a):
    first = services.customer_create(
        actor=am_a, data={"name": "华为技术有限公司", "phone": "0755-28780808"}
    )
    audit_rows = AuditEntry.objects.count()

    with pytest.raises(ValidationFailed) as caught:
        services.customer_create(
            actor=am_a, data={"name": "华为技术有限公司", "phone": "0755-28780808"}
        )

    assert list(caught.value.errors) == ["duplicate_reason"]
    message = caught.value.errors["duplicate_reason"][0]
    assert "华为技术有限公司" in message and f"编号 {first.pk}" in message
    assert Customer.objects.count() == 1 and AuditEntry.objects.count() == audit_rows


def test_a_duplicate_saved_with_a_reason_keeps_it_audited_and_on_the_timeline(am_a):
    services.customer_create(actor=am_a, data={"name": "华为技术有限公司"})

    second = services.customer_create(
        actor=am_a,
        data={"name": "华为技术有限公司"},
        duplicate_reason="  同名的另一家分公司，注册地不同  ",
    )

    assert second.duplicate_note == "同名的另一家分公司，注册地不同"
    created = AuditEntry.objects.get(object_id=str(second.pk), action="create")
    assert created.changes["duplicate_note"] == [None, "同名的另一家分公司，注册地不同"]
    entry = TimelineEntry.objects.get(customer=second, kind="customer")
    assert entry.body == "同名的另一家分公司，注册地不同"


def test_a_reason_without_a_duplicate_is_not_recorded(am_a):
    created = services.customer_create(
        actor=am_a, data={"name": "全新的公司"}, duplicate_reason="无关"
    )
    assert created.duplicate_note == ""


def test_an_edit_into_a_duplicate_needs_a_reason_but_other_edits_do_not(am_a):
    services.customer_create(actor=am_a, data={"name": "华为技术", "email": "info@huawei.com"})
    other = services.customer_create(actor=am_a, data={"name": "中兴通讯"})

    with pytest.raises(ValidationFailed) as caught:
        services.customer_update(
            actor=am_a, customer_id=other.pk, data={"email": "INFO@huawei.com"}, version=1
        )
    assert list(caught.value.errors) == ["duplicate_reason"]
    other.refresh_from_db()
    assert (other.email, other.version) == ("", 1)

    updated = services.customer_update(
        actor=am_a,
        customer_id=other.pk,
        data={"email": "info@huawei.com"},
        version=1,
        duplicate_reason="共用集团邮箱",
    )
    assert updated.duplicate_note == "共用集团邮箱"
    history = AuditEntry.objects.filter(object_id=str(other.pk), action="update").get()
    assert history.changes["duplicate_note"] == ["", "共用集团邮箱"]
    # an old duplicate does not block edits of other fields
    services.customer_update(
        actor=am_a, customer_id=other.pk, data={"industry": "通信"}, version=updated.version
    )


def test_duplicates_out_of_scope_do_not_block_and_are_not_revealed(am_a, am_b):
    customer(am_b, "华为技术", phone="13800138000")
    created = services.customer_create(
        actor=am_a, data={"name": "华为技术", "phone": "13800138000"}
    )
    assert created.duplicate_note == ""


# --- the web form -------------------------------------------------------------------------


def test_web_form_refuses_an_exact_copy_and_shows_the_warning_with_links(am_a):
    first = services.customer_create(
        actor=am_a, data={"name": "华为技术有限公司", "phone": "0755-28780808"}
    )
    client = _client(am_a)
    form = {"name": "华为技术有限公司", "kind": "enterprise", "status": "prospect",
            "phone": "0755-28780808"}  # fmt: skip

    response = client.post(reverse("customers:create"), form)

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="duplicate-warning"' in html
    assert reverse("customers:detail", args=[first.pk]) in html
    assert "请填写仍要保存的原因" in html
    assert Customer.objects.count() == 1

    response = client.post(reverse("customers:create"), {**form, "duplicate_reason": "分公司"})
    assert response.status_code == 302
    second = Customer.objects.exclude(pk=first.pk).get()
    assert second.duplicate_note == "分公司"
    detail = client.get(second.get_absolute_url()).content.decode()
    assert "分公司" in detail  # the history tab shows the reason


def test_form_asks_the_check_while_typing(am_a):
    html = _client(am_a).get(reverse("customers:create")).content.decode()
    assert reverse("customers:duplicate_check") in html
    assert 'hx-include="#id_name, #id_phone, #id_email"' in html
    assert "delay:400ms" in html


def test_edit_form_excludes_the_customer_itself(am_a):
    first = services.customer_create(actor=am_a, data={"name": "华为技术"})
    html = _client(am_a).get(reverse("customers:edit", args=[first.pk])).content.decode()
    assert f'"exclude": "{first.pk}"' in html


# --- the API ------------------------------------------------------------------------------


def test_api_refuses_an_exact_copy_naming_the_field(am_a):
    Api(am_a).post("/customers", {"name": "华为技术有限公司", "phone": "0755-28780808"})

    response = Api(am_a).post("/customers", {"name": "华为技术有限公司", "phone": "0755-28780808"})

    assert response.status_code == 422
    assert error_fields(response) == ["duplicate_reason"]
    assert Customer.objects.count() == 1

    response = Api(am_a).post(
        "/customers",
        {"name": "华为技术有限公司", "phone": "0755-28780808", "duplicate_reason": "分公司"},
    )
    assert response.status_code == 201
    assert Customer.objects.get(pk=response.json()["id"]).duplicate_note == "分公司"
