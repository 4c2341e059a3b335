"""The channels a notification goes out on besides the inbox: e-mail and group robots.

Robot messages follow each platform's documented custom-robot format:

- 企业微信 群机器人: ``{"msgtype": "markdown", "markdown": {"content": ...}}``, no signing
  (the key is in the webhook URL); answer ``{"errcode": 0, "errmsg": "ok"}``.
- 钉钉 自定义机器人: ``{"msgtype": "markdown", "markdown": {"title", "text"}, "at": {...}}``;
  with 加签 the URL carries ``timestamp`` (ms) and ``sign`` = urlencode(base64(
  HMAC-SHA256(key=secret, msg="timestamp\\nsecret"))); answer ``{"errcode": 0}``.
- 飞书 自定义机器人: ``{"msg_type": "post", "content": {"post": {"zh_cn": {...}}}}``; with
  签名校验 the body carries ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(
  key="timestamp\\nsecret", msg=b"")); answer ``{"code": 0}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation

from guanxi.notifications.models import Robot, RobotProvider

TIMEOUT_S = 10


class DeliveryError(Exception):
    """A send failed; the message says why (kept on the delivery for the admin)."""


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str  # absolute
    mention_mobiles: Sequence[str] = ()


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    base = str(getattr(settings, "GUANXI_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else path


# --- e-mail -------------------------------------------------------------------------------


def email_message(
    *, to: str, message: Message, language: str, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    with translation.override(language or None):
        context = {"message": message}
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    prefix = str(getattr(settings, "EMAIL_SUBJECT_PREFIX", ""))
    mail = EmailMultiAlternatives(
        subject=f"{prefix}{message.title}".replace("\n", " ")[:200],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
    )
    mail.attach_alternative(html, "text/html")
    return mail


def email_connection() -> BaseEmailBackend:
    return get_connection(fail_silently=False)


# --- robots -------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _markdown(message: Message, link_label: str) -> str:
    lines = [f"**{message.title}**"]
    if message.body:
        lines.append("")
        lines.extend(f"> {line}" if line else ">" for line in message.body.splitlines())
    if message.url:
        lines.append("")
        lines.append(f"[{link_label}]({message.url})")
    return "\n".join(lines)


def robot_request(
    robot: Robot, message: Message, *, link_label: str, now: float | None = None
) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body to POST for ``message`` to ``robot``."""
    now = time.time() if now is None else now
    url = robot.webhook_url
    if robot.provider == RobotProvider.WECOM:
        return url, {
            "msgtype": "markdown",
            "markdown": {"content": _markdown(message, link_label)},
        }
    if robot.provider == RobotProvider.DINGTALK:
        text = _markdown(message, link_label)
        if message.mention_mobiles:
            text += "\n\n" + " ".join(f"@{m}" for m in message.mention_mobiles)
        body: dict[str, Any] = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": text},
            "at": {"atMobiles": list(message.mention_mobiles), "isAtAll": False},
        }
        if robot.secret:
            ts = int(now * 1000)
            sign = urllib.parse.quote_plus(dingtalk_sign(robot.secret, ts))
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={sign}"
        return url, body
    if robot.provider == RobotProvider.FEISHU:
        paragraphs: list[list[dict[str, str]]] = []
        if message.body:
            paragraphs.extend([{"tag": "text", "text": line}] for line in message.body.splitlines())
        if message.url:
            paragraphs.append([{"tag": "a", "text": link_label, "href": message.url}])
        body = {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": message.title, "content": paragraphs}}},
        }
        if robot.secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(robot.secret, ts), **body}
        return url, body
    raise DeliveryError(f"unknown robot provider {robot.provider!r}")


def robot_send(robot: Robot, message: Message, *, link_label: str) -> None:
    """POST ``message``; an HTTP error, a timeout or an error code in the answer raises
    :class:`DeliveryError`."""
    url, body = robot_request(robot, message, link_label=link_label)
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only (URLField)
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(str(getattr(exc, "reason", exc))) from exc
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DeliveryError("answer is not JSON") from exc
    if not isinstance(answer, dict):
        raise DeliveryError("answer is not a JSON object")
    # 企业微信 / 钉钉: errcode; 飞书: code (older robots: StatusCode)
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, "0", None):
        raise DeliveryError(f"{code}: {answer.get('errmsg') or answer.get('msg') or ''}"[:500])
