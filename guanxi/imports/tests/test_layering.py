"""The engine imports no domain app: what a kind needs comes through the registry.
(import-linter's layers say the same for the apps it lists; this holds for any app.)"""

from __future__ import annotations

import ast
from pathlib import Path

import guanxi.imports

ENGINE = Path(guanxi.imports.__file__).parent
# The engine may use the layers below it: core, accounts and the platform services it
# reports through (webhooks: ``import.finished``).
ALLOWED = ("guanxi.core", "guanxi.accounts", "guanxi.imports", "guanxi.webhooks")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "guanxi":
            names.extend(f"guanxi.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_engine_modules_import_no_domain_app():
    modules = [p for p in ENGINE.rglob("*.py") if "tests" not in p.relative_to(ENGINE).parts]
    assert len(modules) > 15, "the glob is wrong"
    offenders = [
        f"{path.relative_to(ENGINE)} imports {name}"
        for path in modules
        for name in _imports(path)
        if name.startswith("guanxi.") and not name.startswith(ALLOWED)
    ]
    assert offenders == []
