"""DEBUG is off unless the environment turns it on, and the production environment written
in docs/operations.md passes ``manage.py check --deploy`` without a single warning."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SILENT = "System check identified no issues (0 silenced).\n"


def _bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A process environment as a fresh shell has it: no pytest, no DEBUG."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "GUANXI_VAR_DIR": str(tmp_path),
        **extra,
    }


def _documented_production_env() -> dict[str, str]:
    """The ``export NAME=value`` lines of the "Production environment" block."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("### Production environment", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.splitlines():
        match = re.match(r"export (\w+)=(.*?)(\s+#.*)?$", line.strip())
        if match:
            name, value = match.group(1), match.group(2)
            if value.startswith('"$('):  # the key is generated once by the operator
                value = "k8Qv2-oXz_" * 6
            env[name] = shlex.split(value)[0]
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )


def _debug(env: dict[str, str]) -> str:
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    out = _run(["-c", code], {**env, "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_debug_is_off_when_the_variable_is_unset(tmp_path):
    assert _debug(_bare_env(tmp_path)) == "False"
    assert _debug(_bare_env(tmp_path, DEBUG="1")) == "True"
    assert _debug(_bare_env(tmp_path, DEBUG="0")) == "False"


def test_the_documented_production_environment_sets_https_and_hsts():
    env = _documented_production_env()
    assert "DEBUG" not in env
    assert env["SECURE_SSL_REDIRECT"] == "1" and int(env["SECURE_HSTS_SECONDS"]) >= 31536000
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"} <= set(env)


def test_check_deploy_is_silent_with_the_documented_production_environment(tmp_path):
    out = _run(
        ["manage.py", "check", "--deploy"], _bare_env(tmp_path, **_documented_production_env())
    )

    assert out.returncode == 0, out.stderr
    assert (out.stdout, out.stderr) == (SILENT, "")


def test_check_deploy_warns_without_it(tmp_path):
    """The test above can fail: without the HTTPS settings the same check speaks."""
    out = _run(["manage.py", "check", "--deploy"], _bare_env(tmp_path))

    assert "security.W004" in out.stderr and "security.W008" in out.stderr
