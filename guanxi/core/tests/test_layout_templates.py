"""The house rule for confirmations and behaviour in pages: `hx-confirm` asks (a plain form
gets `hx-boost="true"` so it applies), never `confirm('{% translate %}')`; and no inline
event handler attributes (`onclick=`, `onchange=`, …) — behaviour lives in
`static/js/guanxi.js` behind `data-gx-*` attributes."""

from __future__ import annotations

import re
from pathlib import Path

import guanxi

APP_ROOT = Path(guanxi.__file__).parent
PROJECT_ROOT = APP_ROOT.parent

CONFIRM_CALL = re.compile(r"\bconfirm\s*\(")
# An HTML attribute named on<event>: whitespace before it, "=" after it.
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _templates() -> list[Path]:
    return sorted(
        [*APP_ROOT.glob("*/templates/**/*.html"), *(PROJECT_ROOT / "templates").glob("**/*.html")]
    )


def _own_scripts() -> list[Path]:
    """The project's JavaScript; vendored libraries (static/vendor/) are not ours to edit."""
    return sorted((PROJECT_ROOT / "static" / "js").glob("**/*.js"))


def _offences(paths: list[Path], pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    return found


def test_the_globs_find_the_templates_and_scripts():
    names = {path.name for path in _templates()}
    assert {"base.html", "request_detail.html", "customer_list.html"} <= names
    assert "guanxi.js" in {path.name for path in _own_scripts()}


def test_no_template_or_script_calls_confirm():
    assert _offences(_templates() + _own_scripts(), CONFIRM_CALL) == []


def test_no_template_has_an_inline_event_handler():
    assert _offences(_templates(), INLINE_HANDLER) == []


def test_the_patterns_catch_what_they_forbid():
    assert CONFIRM_CALL.search("""onclick="return confirm('确定？')" """)
    assert CONFIRM_CALL.search("if (window.confirm ('x')) {}")
    assert INLINE_HANDLER.search('<button type="submit" onclick="go()">')
    assert INLINE_HANDLER.search("<select ONCHANGE='this.form.submit()'>")
    assert not INLINE_HANDLER.search('<form hx-confirm="确定？" hx-boost="true">')
    assert not INLINE_HANDLER.search('<input data-gx-select name="json">')


def test_the_lists_share_one_filter_error_block():
    lists = [
        APP_ROOT / "customers/templates/customers/customer_list.html",
        APP_ROOT / "orders/templates/orders/order_list.html",
    ]
    for path in lists:
        text = path.read_text(encoding="utf-8")
        assert '{% include "includes/filter_errors.html" %}' in text, path.name
        assert 'id="filter-errors"' not in text, path.name  # not restated beside the include
