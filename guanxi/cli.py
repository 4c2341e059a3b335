"""The ``guanxi`` command: ``manage.py`` plus ``serve``, ``worker`` and ``demo``.

guanxi serve [--bind 127.0.0.1:8000] [--workers 2]   production server (gunicorn)
guanxi worker [--queue default]                         background job worker
guanxi demo                                             load the demo company (once)
guanxi <any manage.py command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = argv[1] if len(argv) > 1 else "help"
    if command == "serve":
        _serve(argv[2:])
        return
    if command == "worker":
        argv = [argv[0], "db_worker", *argv[2:]]
    elif command == "demo":
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


if __name__ == "__main__":
    main()
