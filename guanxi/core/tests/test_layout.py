"""The house rules that a file layout can break: migrations freeze what they need."""

from __future__ import annotations

import ast
from pathlib import Path

import guanxi

ROOT = Path(guanxi.__file__).parent


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_migrations_import_no_live_application_code():
    offenders = []
    migrations = sorted(ROOT.glob("*/migrations/*.py"))
    assert migrations, "no migrations found: the glob is wrong"
    for path in migrations:
        for module in _imported_modules(path):
            if module.startswith("guanxi.") and ".migrations." not in f"{module}.":
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []
