"""A tiny IMAP4rev1 server on 127.0.0.1 for the polling tests: one folder, the commands
``imaplib`` sends for a poll (CAPABILITY, LOGIN, SELECT/EXAMINE, UID SEARCH, UID FETCH,
NOOP, LOGOUT) and nothing else. It records the commands it was sent, so a test can
assert the mailbox was only read (``BODY.PEEK``, ``EXAMINE``)."""

from __future__ import annotations

import contextlib
import re
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

_LINE = re.compile(rb"^(\S+) (.+?)\r?\n?$")


@dataclass
class FakeMailbox:
    user: str = "desk@example.com"
    password: str = "s3cret"
    uid_validity: int = 7
    messages: dict[int, bytes] = field(default_factory=dict)  # uid → raw
    commands: list[str] = field(default_factory=list)

    def add(self, raw: bytes) -> int:
        uid = max(self.messages, default=0) + 1
        self.messages[uid] = raw
        return uid


class _Handler(socketserver.StreamRequestHandler):
    box: FakeMailbox

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def handle(self) -> None:
        box = self.server.box  # type: ignore[attr-defined]
        self._send(b"* OK [CAPABILITY IMAP4rev1] fake ready\r\n")
        authed = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            found = _LINE.match(line)
            if found is None:
                self._send(b"* BAD what\r\n")
                continue
            tag, rest = found.group(1), found.group(2).decode()
            box.commands.append(rest)
            verb, _, args = rest.partition(" ")
            verb = verb.upper()
            if verb == "CAPABILITY":
                self._send(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
            elif verb == "NOOP":
                self._send(tag + b" OK done\r\n")
            elif verb == "LOGOUT":
                self._send(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                return
            elif verb == "LOGIN":
                user, _, password = args.partition(" ")
                if user.strip('"') == box.user and password.strip('"') == box.password:
                    authed = True
                    self._send(tag + b" OK LOGIN done\r\n")
                else:
                    self._send(tag + b" NO [AUTHENTICATIONFAILED] wrong\r\n")
            elif not authed:
                self._send(tag + b" BAD login first\r\n")
            elif verb in ("SELECT", "EXAMINE"):
                self._send(
                    f"* {len(box.messages)} EXISTS\r\n* 0 RECENT\r\n"
                    f"* OK [UIDVALIDITY {box.uid_validity}] UIDs valid\r\n".encode()
                    + tag
                    + b" OK [READ-ONLY] done\r\n"
                )
            elif verb == "UID":
                self._uid(tag, args, box)
            else:
                self._send(tag + b" BAD unknown\r\n")

    def _uid(self, tag: bytes, args: str, box: FakeMailbox) -> None:
        sub, _, rest = args.partition(" ")
        uids = sorted(box.messages)
        if sub.upper() == "SEARCH":
            low = int(rest.split()[-1].split(":")[0])
            hits = [u for u in uids if u >= low] or uids[-1:]  # as real servers do for n:*
            self._send(f"* SEARCH {' '.join(map(str, hits))}\r\n".encode() + tag + b" OK done\r\n")
        elif sub.upper() == "FETCH":
            uid = int(rest.split()[0])
            if uid in box.messages:
                raw = box.messages[uid]
                seq = uids.index(uid) + 1
                self._send(f"* {seq} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode())
                self._send(raw + b")\r\n")
            self._send(tag + b" OK done\r\n")
        else:
            self._send(tag + b" BAD unknown\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def imap_server(box: FakeMailbox) -> Iterator[tuple[str, int]]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.box = box  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[0], server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
