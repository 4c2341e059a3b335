"""The ``guanxi`` command: ``manage.py`` plus ``serve``, ``run`` and ``demo``.

guanxi serve [--bind 127.0.0.1:8000] [--workers 2]   production server (gunicorn)
guanxi worker [--queue-name default]                    background job worker
guanxi run [--bind 127.0.0.1:8000]                      development: runserver + a worker
guanxi demo                                             load the demo company (once)
guanxi <any manage.py command>
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from types import FrameType


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = argv[1] if len(argv) > 1 else "help"
    if command == "serve":
        _serve(argv[2:])
        return
    if command == "run":
        sys.exit(_run(argv[2:]))
    if command == "demo":
        argv = [argv[0], "load_demo", *argv[2:]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _serve(args: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="guanxi serve")
    parser.add_argument("--bind", default=os.environ.get("GUANXI_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    opts = parser.parse_args(args)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "config.wsgi:application", "--bind", opts.bind,
                "--workers", str(opts.workers), "--access-logfile", "-"]  # fmt: skip
    run()


#: how long a stopping process may take before it is killed
STOP_TIMEOUT = 10.0


#: a worker that crashed (in development: code being edited fails to import on reload) is
#: started again after this many seconds
WORKER_RESTART_AFTER = 3.0


def _run(args: list[str]) -> int:
    """Development: the web server and a worker as one command. Both stop together: on
    Ctrl-C or SIGTERM to this process, and when the web server exits (its exit code is
    ours). A worker that crashes — its autoreloader gives up when edited code fails to
    import, which runserver survives — is started again. Each child runs in its own
    session, so a signal reaches its whole process tree (an autoreloader and its child)
    and nothing outlives this command."""
    import argparse

    parser = argparse.ArgumentParser(prog="guanxi run")
    parser.add_argument("--bind", default=os.environ.get("GUANXI_BIND", "127.0.0.1:8000"))
    opts = parser.parse_args(args)
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1")}
    me = [sys.executable, "-m", "guanxi.cli"]
    return supervise(web=[*me, "runserver", opts.bind], worker=[*me, "worker"], env=env)


def supervise(
    *, web: list[str], worker: list[str], env: dict[str, str], restart_after: float | None = None
) -> int:
    """Run ``web`` and ``worker`` until a signal or the end of ``web`` (see :func:`_run`);
    returns ``web``'s exit code (0 when stopped by a signal)."""
    restart_after = WORKER_RESTART_AFTER if restart_after is None else restart_after

    def start(argv: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, env=env, start_new_session=True)

    children = {"web": start(web), "worker": start(worker)}
    stopping: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        # SIGTERM, whatever came: on SIGINT an autoreloader's parent kills its child at
        # once (``subprocess.run``), so the worker could not finish its task nor sign off.
        stopping.append(signum)
        _signal_all(children.values(), signal.SIGTERM)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    code = 0
    worker_died_at: float | None = None
    try:
        while not stopping:
            web_code = children["web"].poll()
            if web_code is not None:
                code = web_code
                print(f"guanxi run: the web server exited ({code}); stopping", flush=True)
                break
            if children["worker"].poll() is not None:
                now = time.monotonic()
                if worker_died_at is None:
                    worker_died_at = now
                    print("guanxi run: the worker exited; starting it again", flush=True)
                elif now - worker_died_at >= restart_after:
                    worker_died_at = None
                    children["worker"] = start(worker)
            time.sleep(0.2)
    finally:
        if not stopping:  # a second signal would make the worker abandon its task
            _signal_all(children.values(), signal.SIGTERM)
        _wait_all(children.values())
    return code


def _signal_all(processes: Iterable[subprocess.Popen[bytes]], signum: int) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signum)


def _wait_all(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """Wait for every process of each child's session (an autoreloader's child outlives
    its parent for a moment), up to ``STOP_TIMEOUT``; then kill what is left."""
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_all([process], signal.SIGKILL)
            process.wait()
        while time.monotonic() < deadline and _session_alive(process.pid):
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _session_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


if __name__ == "__main__":
    main()
