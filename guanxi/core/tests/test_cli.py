import subprocess
import sys
from pathlib import Path

import pytest

from guanxi import cli

ROOT = Path(__file__).resolve().parents[3]


def test_worker_and_demo_map_to_management_commands(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: calls.append(argv)
    )
    cli.main(["guanxi", "worker", "--batch"])
    cli.main(["guanxi", "demo"])
    cli.main(["guanxi", "check"])
    assert calls == [
        ["guanxi", "worker", "--batch"],
        ["guanxi", "load_demo"],
        ["guanxi", "check"],
    ]


@pytest.mark.parametrize("command", ["worker", "load_demo"])
def test_wrapped_commands_exist(command):
    from django.core.management import get_commands

    assert command in get_commands()


def test_console_script_runs_a_django_command():
    script = Path(sys.executable).with_name("guanxi")
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    out = subprocess.run(
        [str(script), "check"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "no issues" in out.stdout
