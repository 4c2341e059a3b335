"""A webhook receiver on 127.0.0.1 for tests, browser tests and the benchmark: it records
every request and answers with scripted status codes (then 200)."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """``with Receiver(statuses=[500]) as r: ... r.url ... r.requests``"""

    def __init__(self, statuses: Iterable[int] = (), *, record: bool = True) -> None:
        self.statuses: deque[int] = deque(statuses)
        self.requests: list[Received] = []
        self.count = 0
        self._record = record
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers
            disable_nagle_algorithm = True  # headers and body leave in separate writes

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    status = receiver.statuses.popleft() if receiver.statuses else 200
                    receiver.count += 1
                    if receiver._record:
                        receiver.requests.append(
                            Received(self.path, dict(self.headers.items()), body, status)
                        )
                answer = b'{"ok":true}' if status < 300 else b'{"error":"receiver says no"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[Received]:
        """The requests it accepted (2xx), in arrival order."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]


def serve(urls: Any, stop: Any) -> None:
    """Run a receiver in a child process (``multiprocessing``): puts its URL on ``urls``,
    answers until ``stop`` is set, then puts the number of requests it answered."""
    with Receiver(record=False) as receiver:
        urls.put(receiver.url)
        stop.wait()
        urls.put(receiver.count)
