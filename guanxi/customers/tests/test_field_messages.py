"""Issue 10 item 31: every field error at once (form and API), the house's own messages
instead of Django's and pydantic's defaults, API messages in the caller's language."""

from __future__ import annotations

import json

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.forms import BootstrapFormMixin
from guanxi.core.messages import pydantic_message
from guanxi.customers.models import Customer
from guanxi.customers.tests.test_api_support import BASE, make_token

pytestmark = pytest.mark.django_db

BAD = {
    "name": "甲公司",
    "kind": "enterprise",
    "status": "active",
    "email": "不是邮箱",
    "phone": "abc",
}


def _api(user, lang: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {make_token(user)}"}
    if lang:
        headers["Accept-Language"] = lang
    return Client(headers=headers)


def _post(client: Client, path: str, body: object):
    return client.post(BASE + path, json.dumps(body), content_type="application/json")


def test_web_form_shows_the_email_and_the_phone_error_together(client, am_a):
    client.force_login(am_a)
    response = client.post(reverse("customers:create"), BAD)
    form = response.context["form"]
    assert set(form.errors) >= {"email", "phone"}
    assert "电话号码格式不正确：abc" in form.errors["phone"]
    assert not Customer.objects.exists()


def test_api_answers_the_email_and_the_phone_error_together(am_a):
    body = {k: v for k, v in BAD.items() if k != "status"}
    response = _post(_api(am_a), "/customers", body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"email", "phone"} <= fields
    assert not Customer.objects.exists()


class _Sample(BootstrapFormMixin, forms.Form):
    name = forms.CharField(max_length=5)
    email = forms.EmailField(required=False)
    since = forms.DateField(required=False)
    count = forms.IntegerField(required=False, max_value=10)
    kind = forms.ChoiceField(choices=[("a", "A")], required=False)
    coded = forms.CharField(required=False, error_messages={"required": "自定义"})


def test_form_messages_are_the_houses_not_djangos():
    form = _Sample({"name": "abcdefg", "email": "x", "since": "nope", "count": "11", "kind": "z"})
    assert not form.is_valid()
    assert form.errors["name"] == ["最多 5 个字符（现有 7 个）。"]
    assert form.errors["email"] == ["请输入有效的邮箱地址。"]
    assert form.errors["since"] == ["请输入有效的日期（YYYY-MM-DD）。"]
    assert form.errors["count"] == ["不能大于 10。"]
    assert form.errors["kind"] == ["“z”不是可选的值。"]
    assert _Sample({}).errors["name"] == ["必须填写。"]


def test_form_keeps_a_message_the_field_declared():
    field = _Sample().fields["coded"]
    assert field.error_messages["required"] == "自定义"


def test_form_messages_in_english(settings):
    from django.utils import translation

    with translation.override("en"):
        form = _Sample({"name": "abcdefg"})
        assert form.errors["name"] == ["At most 5 characters (now 7)."]
        assert _Sample({}).errors["name"] == ["This field is required."]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (None, "最多 200 个字符。"),
        ("zh-hans", "最多 200 个字符。"),
        ("en", "At most 200 characters."),
    ],
)
def test_api_validation_message_in_the_callers_language(am_a, lang, expected):
    response = _post(_api(am_a, lang), "/customers", {"name": "x" * 201})
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["name"] == expected


def test_api_missing_field_message_in_english(am_a):
    response = _post(_api(am_a, "en"), "/customers", {"kind": "enterprise"})
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["name"] == "This field is required."


@given(
    kind=st.text(max_size=30),
    ctx=st.dictionaries(st.text(max_size=10), st.one_of(st.integers(), st.text(max_size=10))),
    msg=st.text(max_size=30),
)
def test_pydantic_message_never_raises_and_is_text(kind, ctx, msg):
    assert isinstance(pydantic_message({"type": kind, "ctx": ctx, "msg": msg}), str)
