"""``make run`` starts the web server and a worker as one command, and Ctrl-C stops both.

Runs the real thing in a throw-away ``var/`` folder (its own SQLite database), bounded by
timeouts, and kills whatever is left afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 150.0
STOP_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _left_alive(pids, timeout: float = 15.0) -> list[int]:
    """The processes of ``pids`` still alive once ``timeout`` has passed (or none sooner): a
    process that was signalled needs a moment to exit, longer on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in pids if _alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _login_page(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
            return int(r.status)
    except (urllib.error.URLError, OSError):
        return None


def _workers(db: Path) -> list[tuple[str, int]]:
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
            return list(conn.execute("SELECT worker, pid FROM core_workerprocess"))
    except sqlite3.Error:
        return []


def test_make_run_uses_the_command_that_starts_both():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrun: venv\n", 1)[1].split("\n\n", 1)[0]
    assert "guanxi.cli run" in recipe and "runserver" not in recipe
    assert "DEBUG=1" in recipe


def test_run_starts_the_web_server_and_a_worker_and_ctrl_c_stops_both(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "GUANXI_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    port = _free_port()
    log = (tmp_path / "run.log").open("wb")
    run = subprocess.Popen(
        [sys.executable, "-m", "guanxi.cli", "run", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        status, workers = None, []
        while time.monotonic() < deadline and run.poll() is None:
            seen |= _descendants(run.pid)
            status, workers = _login_page(port), _workers(tmp_path / "guanxi.sqlite3")
            if status == 200 and workers:
                break
            time.sleep(1)
        output = (tmp_path / "run.log").read_text(errors="replace")[-3000:]
        assert status == 200, f"the web server did not answer\n{output}"
        assert workers, f"no worker reported a heartbeat\n{output}"
        ((worker, pid),) = workers
        assert worker.endswith(f":{pid}") and pid in seen | _descendants(run.pid)
        seen |= _descendants(run.pid)

        run.send_signal(signal.SIGINT)  # Ctrl-C
        assert run.wait(timeout=STOP_TIMEOUT) == 0

        assert _left_alive(seen) == []
        assert _login_page(port) is None
        # A worker signs off on its way out; if it did not get to, its row names a process
        # that is gone: the next worker takes it as dead at once, job pages within 30 s.
        assert all(not _alive(pid) for _w, pid in _workers(tmp_path / "guanxi.sqlite3"))
    finally:
        for pid in {run.pid} | seen | _descendants(run.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.wait(timeout=5)
        log.close()


def test_run_stops_the_worker_when_the_web_server_cannot_start(tmp_path):
    """A port already taken: runserver exits, and ``guanxi run`` does not leave the worker
    behind (the worker fails too here — there is no database — and is not restarted once
    the web server is gone)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "GUANXI_VAR_DIR": str(tmp_path),
        }
        run = subprocess.Popen(
            [sys.executable, "-m", "guanxi.cli", "run", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        seen: set[int] = set()
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while run.poll() is None and time.monotonic() < deadline:
                seen |= _descendants(run.pid)
                time.sleep(0.5)
            assert run.poll() not in (None, 0)
            assert _left_alive(seen) == []
        finally:
            for pid in {run.pid} | seen | _descendants(run.pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.wait(timeout=5)


# --- the supervisor itself, with stand-in processes -----------------------------------------


def _supervisor(tmp_path: Path, web: str, worker: str, restart_after: float = 0.3):
    """``guanxi.cli.supervise`` in a process of its own (it installs signal handlers)."""
    code = (
        "import os, sys; from guanxi.cli import supervise; "
        f"sys.exit(supervise(web=[sys.executable, '-c', {web!r}], "
        f"worker=[sys.executable, '-c', {worker!r}], env=dict(os.environ), "
        f"restart_after={restart_after}))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OUT": str(tmp_path)},
        start_new_session=True,
    )


def _pids(tmp_path: Path, name: str) -> list[int]:
    path = tmp_path / name
    return [int(p) for p in path.read_text().split()] if path.exists() else []


RECORD = (
    "import os; open(os.path.join(os.environ['OUT'], '{name}'), 'a').write(f'{{os.getpid()}} ')"
)


def test_a_crashed_worker_is_started_again_while_the_web_server_runs(tmp_path):
    web = RECORD.format(name="web") + "; import time; time.sleep(8)"
    worker = RECORD.format(name="worker") + "; raise SystemExit(1)"
    run = _supervisor(tmp_path, web, worker)
    try:
        assert run.wait(timeout=60) == 0  # the web server's exit code
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(run.pid, signal.SIGKILL)
    assert len(_pids(tmp_path, "web")) == 1
    assert len(_pids(tmp_path, "worker")) >= 2


def test_sigterm_stops_both_and_an_exiting_web_server_stops_the_worker(tmp_path):
    sleeper = "; import time; time.sleep(120)"
    run = _supervisor(
        tmp_path, RECORD.format(name="web") + sleeper, RECORD.format(name="worker") + sleeper
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            _pids(tmp_path, "web") and _pids(tmp_path, "worker")
        ):
            time.sleep(0.2)
        children = _pids(tmp_path, "web") + _pids(tmp_path, "worker")
        assert len(children) == 2
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=STOP_TIMEOUT) == 0
        assert _left_alive(children) == []
    finally:
        for pid in [run.pid, *_pids(tmp_path, "web"), *_pids(tmp_path, "worker")]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    failing_web = RECORD.format(name="web2") + "; import time; time.sleep(1); raise SystemExit(3)"
    run = _supervisor(tmp_path, failing_web, RECORD.format(name="worker2") + sleeper)
    try:
        assert run.wait(timeout=60) == 3
        assert _left_alive(_pids(tmp_path, "worker2")) == []
    finally:
        for pid in [run.pid, *_pids(tmp_path, "worker2")]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
