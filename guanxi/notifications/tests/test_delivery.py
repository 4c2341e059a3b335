"""Deliveries against real receivers on 127.0.0.1: e-mail through Django's SMTP backend to
an aiosmtpd server, and the 企业微信 / 钉钉 / 飞书 robot formats and signatures to an HTTP
server; retries with back-off."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
import urllib.parse

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.notifications import services
from guanxi.notifications.delivery import MAX_ATTEMPTS, backoff, deliveries_send
from guanxi.notifications.models import Delivery, DeliveryStatus, Robot
from guanxi.notifications.registry import Channel
from guanxi.notifications.tests.conftest import TEST_KIND

pytestmark = pytest.mark.django_db


def test_an_email_arrives_at_the_smtp_server_after_commit(
    test_kind, smtp, settings, django_capture_on_commit_callbacks
):
    settings.GUANXI_BASE_URL = "https://crm.example.cn"
    user = UserFactory(username="mail1", email="wang@example.cn", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipients=[user],
            kind=TEST_KIND,
            title="跟进提醒：杭州云栖",
            body="电话回访",
            url="/customers/7/",
        )
        assert smtp.messages == []  # nothing leaves before the commit
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "wang@example.cn"
    assert msg["Subject"] == "[关系] 跟进提醒：杭州云栖"
    assert smtp.envelopes[0][1] == ["wang@example.cn"]
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "电话回访" in text and "https://crm.example.cn/customers/7/" in text
    assert 'href="https://crm.example.cn/customers/7/"' in html
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_an_english_readers_email_is_in_english(
    test_kind, smtp, django_capture_on_commit_callbacks
):
    user = UserFactory(username="mail2", email="amy@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[user], kind=TEST_KIND, title="Hello", url="/x/")
    text = smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "View details" in text


def test_smtp_down_keeps_the_delivery_pending_with_back_off(test_kind, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    user = UserFactory(username="mail3", email="x@example.com")
    services.notify(recipients=[user], kind=TEST_KIND, title="t")
    before = timezone.now()
    assert deliveries_send() == 0
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == (DeliveryStatus.PENDING, 1)
    assert d.last_error
    assert d.next_attempt_at >= before + backoff(1) - dt.timedelta(seconds=1)


# --- robots -------------------------------------------------------------------------------


def _robot_user(receiver, provider, secret="", path="/hook"):
    team = TeamFactory(name=f"{provider}部")
    robot = Robot.objects.create(
        team=team, name=provider, provider=provider, webhook_url=receiver.url + path, secret=secret
    )
    user = UserFactory(username=f"{provider}_user", team=team, phone="13800138000", email="")
    services.preferences_set(actor=user, choices={(TEST_KIND, Channel.IM): True})
    return robot, user


def _notify(user):
    services.notify(
        recipients=[user],
        kind=TEST_KIND,
        title="跟进到期：云栖科技",
        body="回访报价",
        url="/customers/9/",
    )


def test_wecom_markdown_message(test_kind, receiver, settings):
    settings.GUANXI_BASE_URL = "https://crm.example.cn"
    _robot, user = _robot_user(receiver, "wecom", path="/cgi-bin/webhook/send?key=abc")
    _notify(user)
    assert deliveries_send() == 1
    (call,) = receiver.calls
    assert call.path == "/cgi-bin/webhook/send" and call.query == {"key": ["abc"]}
    assert call.body == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**跟进到期：云栖科技**\n\n> 回访报价\n\n[查看详情](https://crm.example.cn/customers/9/)"
        },
    }


def test_dingtalk_markdown_message_is_signed_in_the_url(test_kind, receiver):
    secret = "SECdingtalk-test-secret"
    _robot, user = _robot_user(
        receiver, "dingtalk", secret=secret, path="/robot/send?access_token=t"
    )
    _notify(user)
    before_ms = int(time.time() * 1000)
    assert deliveries_send() == 1
    (call,) = receiver.calls
    assert call.query["access_token"] == ["t"]
    ts = call.query["timestamp"][0]
    assert abs(int(ts) - before_ms) < 60_000
    # the documented algorithm: base64(HMAC-SHA256(secret, "timestamp\nsecret")), urlencoded
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert call.query["sign"] == [expected]  # parse_qs decodes the urlencoding once
    raw_query = urllib.parse.urlsplit(receiver.url + call.path + "?" + "").query  # noqa: F841
    assert call.body["msgtype"] == "markdown"
    assert call.body["markdown"]["title"] == "跟进到期：云栖科技"
    assert call.body["markdown"]["text"].endswith("@13800138000")
    assert call.body["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}


def test_feishu_post_message_is_signed_in_the_body(test_kind, receiver, settings):
    settings.GUANXI_BASE_URL = "https://crm.example.cn"
    secret = "feishu-secret"
    _robot, user = _robot_user(receiver, "feishu", secret=secret, path="/open-apis/bot/v2/hook/x")
    receiver.script = [(200, {"code": 0, "msg": "success"})]
    _notify(user)
    assert deliveries_send() == 1
    (call,) = receiver.calls
    ts = call.body["timestamp"]
    assert abs(int(ts) - time.time()) < 60
    # the documented algorithm: base64(HMAC-SHA256(key="timestamp\nsecret", msg=""))
    expected = base64.b64encode(
        hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert call.body["sign"] == expected
    assert call.body["msg_type"] == "post"
    assert call.body["content"] == {
        "post": {
            "zh_cn": {
                "title": "跟进到期：云栖科技",
                "content": [
                    [{"tag": "text", "text": "回访报价"}],
                    [
                        {
                            "tag": "a",
                            "text": "查看详情",
                            "href": "https://crm.example.cn/customers/9/",
                        }
                    ],
                ],
            }
        }
    }


def test_a_500_is_retried_after_the_back_off_and_delivered_once(test_kind, receiver):
    _robot, user = _robot_user(receiver, "wecom")
    receiver.script = [(500, {}), (200, {"errcode": 0, "errmsg": "ok"})]
    _notify(user)
    assert deliveries_send() == 0
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.PENDING, 1, "HTTP 500")
    assert deliveries_send() == 0  # not due yet: nothing sent, nothing called
    assert len(receiver.calls) == 1
    later = timezone.now() + backoff(1) + dt.timedelta(seconds=1)
    assert deliveries_send(now=later) == 1
    assert deliveries_send(now=later + dt.timedelta(hours=1)) == 0
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.SENT, 2)
    assert len(receiver.calls) == 2


def test_an_error_code_in_the_answer_is_a_failure_and_gives_up_after_the_last_attempt(
    test_kind, receiver
):
    _robot, user = _robot_user(receiver, "dingtalk", secret="s")
    receiver.script = [(200, {"errcode": 310000, "errmsg": "sign not match"})]
    _notify(user)
    now = timezone.now()
    for _attempt in range(MAX_ATTEMPTS):
        deliveries_send(now=now)
        now += dt.timedelta(days=1)
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert d.last_error == "310000: sign not match"
    assert deliveries_send(now=now) == 0
    assert len(receiver.calls) == MAX_ATTEMPTS


def test_a_claimed_delivery_is_not_sent_twice(test_kind, receiver):
    """A second worker that read the same row before the first claimed it loses the claim
    (conditional update on the attempt count)."""
    from guanxi.notifications.delivery import _claim

    _robot, user = _robot_user(receiver, "wecom")
    _notify(user)
    stale = list(Delivery.objects.all())
    fresh = list(Delivery.objects.all())
    now = timezone.now()
    assert len(_claim(fresh, now)) == 1
    assert _claim(stale, now) == []
