"""The duplicate check on entry (查重, issue 10 item 18) for contacts: the scoped selector,
the check endpoint the 360 page's contact forms ask while the user types, the services
that refuse a likely duplicate without a reason and keep the reason when one is given, the
API (422 naming ``duplicate_reason``) and the inline web forms."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.core.errors import ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers import selectors, services
from guanxi.customers.models import Contact, TimelineEntry
from guanxi.customers.tests.duplicates.support import contact, customer
from guanxi.customers.tests.test_api_support import Api, error_fields

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _check(user, **params) -> str:
    response = _client(user).get(reverse("customers:contact_duplicate_check"), params, **HX)
    assert response.status_code == 200
    return response.content.decode()


# --- the selector ----------------------------------------------------------------------


def test_same_name_at_the_same_customer_is_a_duplicate_but_not_at_another(am_a):
    acme, other = customer(am_a, "华信科技"), customer(am_a, "中兴通讯")
    li = contact(acme, "李娜")
    contact(other, "李娜")

    matches = selectors.likely_duplicate_contacts(actor=am_a, customer_id=acme.pk, name=" 李娜 ")

    assert [(m.id, m.reasons) for m in matches] == [(li.pk, ("name",))]
    assert matches[0].customer_name == "华信科技"


def test_a_number_matches_either_field_written_any_way(am_a):
    acme, other = customer(am_a, "华信科技"), customer(am_a, "中兴通讯")
    by_mobile = contact(other, "王强", mobile="13800138000")
    by_phone = contact(other, "赵敏", phone="0755-28780808")

    found = selectors.likely_duplicate_contacts(
        actor=am_a, customer_id=acme.pk, name="新人", phones=("+86 138 0013 8000", "")
    )
    crossed = selectors.likely_duplicate_contacts(
        actor=am_a, customer_id=acme.pk, phones=("", "+86 755 2878 0808")
    )

    assert [(m.id, m.reasons) for m in found] == [(by_mobile.pk, ("phone",))]
    assert [(m.id, m.reasons) for m in crossed] == [(by_phone.pk, ("phone",))]


def test_same_email_any_case_is_a_duplicate(am_a):
    acme = customer(am_a, "华信科技")
    li = contact(acme, "李娜", email="li@example.com")
    matches = selectors.likely_duplicate_contacts(
        actor=am_a, customer_id=None, email=" LI@example.com"
    )
    assert [(m.id, m.reasons) for m in matches] == [(li.pk, ("email",))]


def test_nothing_or_half_typed_finds_nothing_and_the_edited_contact_is_not_its_own(am_a):
    acme = customer(am_a, "华信科技")
    li = contact(acme, "李娜", mobile="13800138000", email="li@example.com")
    assert selectors.likely_duplicate_contacts(actor=am_a, customer_id=acme.pk) == []
    assert (
        selectors.likely_duplicate_contacts(
            actor=am_a, customer_id=acme.pk, phones=("138",), email="li@"
        )
        == []
    )
    assert (
        selectors.likely_duplicate_contacts(
            actor=am_a,
            customer_id=acme.pk,
            name="李娜",
            phones=("13800138000",),
            exclude_id=li.pk,
        )
        == []
    )


def test_contacts_out_of_scope_are_neither_named_nor_hinted(am_a, am_b):
    hidden = customer(am_b, "华信科技")
    contact(hidden, "李娜", mobile="13800138000", email="li@example.com")

    assert (
        selectors.likely_duplicate_contacts(
            actor=am_a, customer_id=hidden.pk, name="李娜", phones=("13800138000",),
            email="li@example.com",
        )
        == []
    )  # fmt: skip
    html = _check(am_a, **{"customer": hidden.pk, "contact-name": "李娜",
                            "contact-mobile": "13800138000"})  # fmt: skip
    assert html == ""


# --- the check endpoint -------------------------------------------------------------------


def test_check_endpoint_lists_matches_with_links_and_the_reason_field(am_a):
    acme = customer(am_a, "华信科技")
    li = contact(acme, "李娜", mobile="13800138000")

    html = _check(am_a, **{"prefix": "contact", "customer": acme.pk, "contact-name": "李娜"})

    assert reverse("customers:detail", args=[acme.pk]) + f"#contact-{li.pk}" in html
    assert "李娜" in html and "华信科技" in html and "同一客户下姓名相同" in html
    assert 'name="contact-duplicate_reason"' in html


def test_check_endpoint_renders_the_reason_under_an_edit_forms_prefix(am_a):
    acme = customer(am_a, "华信科技")
    contact(acme, "李娜", mobile="13800138000")
    edited = contact(acme, "王强")
    prefix = f"contact-{edited.pk}"

    html = _check(am_a, **{"prefix": prefix, "customer": acme.pk, "exclude": edited.pk,
                           f"{prefix}-mobile": "138 0013 8000"})  # fmt: skip

    assert f'name="{prefix}-duplicate_reason"' in html and "手机或电话相同" in html


def test_check_endpoint_ignores_a_hostile_prefix_and_bad_ids(am_a):
    acme = customer(am_a, "华信科技")
    contact(acme, "李娜")
    html = _check(
        am_a,
        **{"prefix": '"><script>', "customer": "9" * 30, "exclude": "x", "contact-name": "李娜"},
    )
    assert "<script>" not in html  # falls back to the add form's prefix; no customer: no name


def test_check_endpoint_in_english(am_a):
    acme = customer(am_a, "华信科技")
    contact(acme, "李娜", email="li@example.com")
    response = _client(am_a).get(
        reverse("customers:contact_duplicate_check"),
        {"customer": acme.pk, "contact-email": "li@example.com"},
        HTTP_ACCEPT_LANGUAGE="en",
        **HX,
    )
    html = response.content.decode()
    assert "Possible duplicate of these contacts" in html and "Same email" in html


def test_check_endpoint_query_count_is_pinned(am_a, django_assert_max_num_queries):
    acme = customer(am_a, "华信科技")
    for i in range(8):
        contact(acme, "李娜", mobile="13800138000", email=f"li{i}@example.com")
    client = _client(am_a)
    url = reverse("customers:contact_duplicate_check")
    params = {"customer": acme.pk, "contact-name": "李娜", "contact-mobile": "13800138000"}
    client.get(url, params, **HX)  # warm the session
    # session, user, the actor's shared customers (scope), the contacts, and one of the
    # template context (the sales pools of the navigation): however many match
    with django_assert_max_num_queries(5):
        response = client.get(url, params, **HX)
    assert response.content.decode().count("gx-duplicate-match") == selectors.DUPLICATE_CHECK_LIMIT


def test_check_endpoint_is_staff_only(portal_user):
    response = _client(portal_user).get(reverse("customers:contact_duplicate_check"))
    assert response.status_code in (302, 403)


# --- the services -----------------------------------------------------------------------


def test_an_exact_copy_is_refused_without_a_reason_and_nothing_is_written(am_a):
    acme = services.customer_create(actor=am_a, data={"name": "华信科技"})
    first = services.contact_create(
        actor=am_a, customer_id=acme.pk, data={"name": "李娜", "mobile": "13800138000"}
    )
    audit_rows, timeline_rows = AuditEntry.objects.count(), TimelineEntry.objects.count()

    with pytest.raises(ValidationFailed) as caught:
        services.contact_create(
            actor=am_a, customer_id=acme.pk, data={"name": "李娜", "mobile": "138-0013-8000"}
        )

    assert list(caught.value.errors) == ["duplicate_reason"]
    message = caught.value.errors["duplicate_reason"][0]
    assert "李娜" in message and "华信科技" in message and f"编号 {first.pk}" in message
    assert Contact.objects.count() == 1
    assert (AuditEntry.objects.count(), TimelineEntry.objects.count()) == (
        audit_rows,
        timeline_rows,
    )


def test_a_duplicate_saved_with_a_reason_keeps_it_audited_and_on_the_timeline(am_a):
    acme = services.customer_create(actor=am_a, data={"name": "华信科技"})
    services.contact_create(actor=am_a, customer_id=acme.pk, data={"name": "李娜"})

    second = services.contact_create(
        actor=am_a, customer_id=acme.pk, data={"name": "李娜"}, duplicate_reason=" 同名的两位同事 "
    )

    assert second.duplicate_note == "同名的两位同事"
    created = AuditEntry.objects.get(
        object_id=str(second.pk), action="create", model="customers.contact"
    )
    assert created.changes["duplicate_note"] == [None, "同名的两位同事"]
    entry = TimelineEntry.objects.filter(customer=acme, kind="contact").order_by("-id").first()
    assert entry is not None and entry.body == "同名的两位同事"


def test_an_overlong_reason_is_refused_naming_the_field(am_a):
    acme = customer(am_a, "华信科技")
    contact(acme, "李娜")
    with pytest.raises(ValidationFailed) as caught:
        services.contact_create(
            actor=am_a, customer_id=acme.pk, data={"name": "李娜"}, duplicate_reason="长" * 501
        )
    assert list(caught.value.errors) == ["duplicate_reason"]
    assert Contact.objects.count() == 1


def test_a_reason_without_a_duplicate_is_not_recorded(am_a):
    acme = customer(am_a, "华信科技")
    created = services.contact_create(
        actor=am_a, customer_id=acme.pk, data={"name": "李娜"}, duplicate_reason="无关"
    )
    assert created.duplicate_note == ""


def test_an_edit_into_a_duplicate_needs_a_reason_but_other_edits_do_not(am_a):
    acme = customer(am_a, "华信科技")
    contact(acme, "李娜", email="li@example.com")
    other = services.contact_create(actor=am_a, customer_id=acme.pk, data={"name": "王强"})

    with pytest.raises(ValidationFailed) as caught:
        services.contact_update(
            actor=am_a, contact_id=other.pk, data={"email": "LI@example.com"}, version=1
        )
    assert list(caught.value.errors) == ["duplicate_reason"]
    other.refresh_from_db()
    assert (other.email, other.version) == ("", 1)

    updated = services.contact_update(
        actor=am_a,
        contact_id=other.pk,
        data={"email": "li@example.com"},
        version=1,
        duplicate_reason="共用部门邮箱",
    )
    assert updated.duplicate_note == "共用部门邮箱"
    history = AuditEntry.objects.get(
        object_id=str(other.pk), action="update", model="customers.contact"
    )
    assert history.changes["duplicate_note"] == ["", "共用部门邮箱"]
    services.contact_update(  # an old duplicate does not block edits of other fields
        actor=am_a, contact_id=other.pk, data={"title": "采购经理"}, version=updated.version
    )


# --- the API ------------------------------------------------------------------------------


def test_api_refuses_a_duplicate_naming_duplicate_reason_then_accepts_a_reason(am_a):
    acme = services.customer_create(actor=am_a, data={"name": "华信科技"})
    services.contact_create(
        actor=am_a, customer_id=acme.pk, data={"name": "李娜", "mobile": "13800138000"}
    )
    api = Api(am_a)
    body = {"name": "李娜", "mobile": "+86 138 0013 8000"}

    refused = api.post(f"/customers/{acme.pk}/contacts", body)

    assert refused.status_code == 422
    assert error_fields(refused) == ["duplicate_reason"]
    assert Contact.objects.count() == 1

    saved = api.post(f"/customers/{acme.pk}/contacts", {**body, "duplicate_reason": "同名同事"})
    assert saved.status_code == 201
    assert saved.json()["duplicate_note"] == "同名同事"


def test_api_update_into_a_duplicate_needs_a_reason(am_a):
    acme = services.customer_create(actor=am_a, data={"name": "华信科技"})
    services.contact_create(
        actor=am_a, customer_id=acme.pk, data={"name": "李娜", "email": "li@example.com"}
    )
    other = services.contact_create(actor=am_a, customer_id=acme.pk, data={"name": "王强"})
    api = Api(am_a)

    refused = api.patch(f"/contacts/{other.pk}", {"version": 1, "email": "li@example.com"})
    assert refused.status_code == 422 and error_fields(refused) == ["duplicate_reason"]
    other.refresh_from_db()
    assert other.email == ""

    saved = api.patch(
        f"/contacts/{other.pk}",
        {"version": 1, "email": "li@example.com", "duplicate_reason": "共用邮箱"},
    )
    assert saved.status_code == 200 and saved.json()["duplicate_note"] == "共用邮箱"


def test_api_rejects_an_overlong_or_mistyped_reason_naming_it(am_a):
    acme = customer(am_a, "华信科技")
    api = Api(am_a)
    for bad in ("长" * 501, 42):
        response = api.post(
            f"/customers/{acme.pk}/contacts", {"name": "李娜", "duplicate_reason": bad}
        )
        assert response.status_code == 422 and error_fields(response) == ["duplicate_reason"]
    assert Contact.objects.count() == 0


# --- the web forms on the 360 page ----------------------------------------------------------


def test_add_form_refuses_a_duplicate_and_shows_the_warning_then_saves_with_a_reason(am_a):
    acme = services.customer_create(actor=am_a, data={"name": "华信科技"})
    first = services.contact_create(
        actor=am_a, customer_id=acme.pk, data={"name": "李娜", "mobile": "13800138000"}
    )
    client = _client(am_a)
    url = reverse("customers:contact_add", args=[acme.pk])
    form = {"contact-name": "李娜", "contact-mobile": "13800138000"}

    response = client.post(url, form, **HX)

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="contact-duplicate-warning"' in html
    assert f"#contact-{first.pk}" in html and "请填写仍要保存的原因" in html
    assert Contact.objects.count() == 1

    response = client.post(url, {**form, "contact-duplicate_reason": "同名同事"}, **HX)
    assert response.status_code == 200
    assert Contact.objects.exclude(pk=first.pk).get().duplicate_note == "同名同事"


def test_edit_form_into_a_duplicate_shows_the_warning(am_a):
    acme = services.customer_create(actor=am_a, data={"name": "华信科技"})
    services.contact_create(
        actor=am_a, customer_id=acme.pk, data={"name": "李娜", "email": "li@example.com"}
    )
    other = services.contact_create(actor=am_a, customer_id=acme.pk, data={"name": "王强"})
    prefix = f"contact-{other.pk}"
    url = reverse("customers:contact_edit", args=[acme.pk, other.pk])

    response = _client(am_a).post(
        url, {f"{prefix}-name": "王强", f"{prefix}-email": "li@example.com",
              f"{prefix}-version": "1"}, **HX,
    )  # fmt: skip

    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="{prefix}-duplicate-warning"' in html
    assert f'name="{prefix}-duplicate_reason"' in html
    other.refresh_from_db()
    assert other.email == ""


def test_360_page_contact_forms_ask_the_check_while_typing(am_a):
    acme = services.customer_create(actor=am_a, data={"name": "华信科技"})
    li = services.contact_create(actor=am_a, customer_id=acme.pk, data={"name": "李娜"})
    client = _client(am_a)
    # the add form comes when "add contact" is first opened (``test_views_lazy_forms``)
    form = reverse("customers:section", args=[acme.pk, "contact-form"])
    page = client.get(form, **HX).content.decode()
    assert reverse("customers:contact_duplicate_check") in page
    assert "from:#id_contact-name" in page and '"prefix": "contact"' in page
    edit = client.get(reverse("customers:contact_edit", args=[acme.pk, li.pk]), **HX)
    html = edit.content.decode()
    assert f'"exclude": "{li.pk}"' in html and f"from:#id_contact-{li.pk}-mobile" in html
