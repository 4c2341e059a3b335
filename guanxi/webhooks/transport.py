"""Sending one webhook request: SSRF-guarded, redirect-free, keep-alive, bounded.

A receiver URL is resolved once per connection and every address it resolves to must be
public (or in ``WEBHOOKS_ALLOWED_NETWORKS``); the connection then goes to that checked
address, so a DNS answer that changes between check and connect (rebinding) cannot point
the worker at an internal service. Redirects are not followed: a 3xx is a failure, or a
public URL could hand the request on to an internal one.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.utils.translation import gettext as _

from guanxi.webhooks import conf

#: bytes of an answer read at most; the log keeps the first EXCERPT characters
MAX_READ = 64 * 1024
EXCERPT = 1000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The URL may not be sent to (bad scheme, or an address that is not public)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    excerpt: str
    duration_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _address_allowed(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in conf.allowed_networks()):
        return True
    return address.is_global and not address.is_multicast


def parse_url(url: str) -> SplitResult:
    """The parts of a receiver URL, or ``Refused`` naming what is wrong with it. A literal
    address is checked here too, so a form refuses ``http://10.0.0.1/`` at once."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused(_("地址格式无效。")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("只支持 http:// 或 https:// 地址。"))
    if parts.username or parts.password:
        raise Refused(_("地址中不能包含用户名或密码。"))
    if port == 0:
        raise Refused(_("地址格式无效。"))
    try:
        literal: IPAddress | None = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and not _address_allowed(literal):
        raise Refused(_("不允许发送到内网、本机或保留地址。"))
    return parts


def resolve(host: str, port: int) -> str:
    """One address of ``host``, after checking that *every* address it resolves to is
    allowed (a name with one public and one internal address is refused)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(_("无法解析接收地址的主机名。")) from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise Refused(_("无法解析接收地址的主机名。"))
    for address in addresses:
        if not _address_allowed(ipaddress.ip_address(address.split("%", 1)[0])):
            raise Refused(_("不允许发送到内网、本机或保留地址。"))
    return addresses[0]


class _OneWrite:
    """Headers and body leave in one write. ``http.client`` sends them in two, which costs
    the receiver a second wake-up per request and, against a receiver that delays its
    ACKs while ours waits on Nagle, a 40 ms stall."""

    _buffer: list[bytes]

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if isinstance(message_body, bytes) and not encode_chunked:
            self._buffer.extend((b"", b""))
            message = b"\r\n".join(self._buffer) + message_body
            del self._buffer[:]
            self.send(message)  # type: ignore[attr-defined]
            return
        super()._send_output(message_body, encode_chunked)  # type: ignore[misc]


class _HTTPConnection(_OneWrite, http.client.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_OneWrite, http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate checked against the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class Sender:
    """POSTs over kept-alive connections, one per (scheme, host, port); ``close()`` after."""

    def __init__(self, *, timeout: float | None = None) -> None:
        self.timeout = conf.timeout() if timeout is None else timeout
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _connection(self, parts: SplitResult) -> http.client.HTTPConnection:
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, host, port)
        connection = self._connections.get(key)
        if connection is None:
            address = resolve(host, port)
            if parts.scheme == "https":
                connection = _PinnedHTTPSConnection(
                    host, port, address=address, timeout=self.timeout
                )
            else:
                connection = _HTTPConnection(address, port, timeout=self.timeout)
            self._connections[key] = connection
        return connection

    def _drop(self, parts: SplitResult) -> None:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        connection = self._connections.pop((parts.scheme, parts.hostname or "", port), None)
        if connection is not None:
            connection.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            parts = parse_url(url)
        except Refused as exc:
            return Answer(None, "", took(), exc.message[:300])
        target = parts.path or "/"
        if parts.query:
            target += f"?{parts.query}"
        default_port = 443 if parts.scheme == "https" else 80
        host_header = parts.hostname or ""
        if ":" in host_header:
            host_header = f"[{host_header}]"
        if parts.port and parts.port != default_port:
            host_header += f":{parts.port}"
        sent = {**headers, "Host": host_header, "Content-Length": str(len(body))}
        for fresh in (False, True):
            try:
                connection = self._connection(parts)
                reused = connection.sock is not None
                connection.request("POST", target, body=body, headers=sent)
                response = connection.getresponse()
            except Refused as exc:
                return Answer(None, "", took(), exc.message[:300])
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(parts)
                # A kept-alive connection the receiver closed while idle: once more, fresh.
                if reused and not fresh:
                    continue
                return Answer(None, "", took(), _error_text(exc))
            except (OSError, http.client.HTTPException) as exc:
                self._drop(parts)
                return Answer(None, "", took(), _error_text(exc))
            return self._read(parts, response, started)
        return Answer(None, "", took(), _("连接被关闭。"))  # pragma: no cover - loop returns

    def _read(
        self, parts: SplitResult, response: http.client.HTTPResponse, started: float
    ) -> Answer:
        deadline = started + 3 * self.timeout
        chunks: list[bytes] = []
        size = 0
        error = ""
        try:
            while size < MAX_READ:
                chunk = response.read1(MAX_READ - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:
                    error = _("读取响应超时。")
                    break
        except (OSError, http.client.HTTPException) as exc:
            error = _error_text(exc)
        if not error and response.length == 0 and not response.isclosed():
            response.read()  # the body is all read: this releases the connection for reuse
        if error or not response.isclosed() or response.will_close:
            # An answer not read to its end cannot share the connection with the next one.
            self._drop(parts)
        duration = int((time.monotonic() - started) * 1000)
        text = b"".join(chunks).decode("utf-8", errors="replace")[:EXCERPT]
        return Answer(response.status, text, duration, error[:300])


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return _("连接超时。")
    if isinstance(exc, ConnectionRefusedError):
        return _("连接被拒绝。")
    if isinstance(exc, ssl.SSLError):
        return _("TLS 错误：%(detail)s") % {"detail": str(exc)[:200]}
    return _("网络错误：%(detail)s") % {"detail": (str(exc) or type(exc).__name__)[:200]}
