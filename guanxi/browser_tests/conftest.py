"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the
# ORM calls the tests make (factories, assertions) as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--headless=new",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("GUANXI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (GUANXI_REQUIRE_BROWSER=1: CI must run the browser tests)")
    pytest.skip(f"{reason}: browser tests skipped — install it with apt-get install -y chromium")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable("CHROMIUM NOT FOUND at /usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("PLAYWRIGHT NOT INSTALLED")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(request: Any, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    # What the server answered and what the page logged, printed when the test fails: the CI
    # log is all its reader gets (the screenshot stays on the CI machine).
    trail: list[str] = []
    page.on("request", lambda r: trail.append(f"→ {r.method} {r.url}"))
    page.on("response", lambda r: trail.append(f"{r.status} {r.request.method} {r.url}"))
    page.on("requestfailed", lambda r: trail.append(f"failed {r.method} {r.url}: {r.failure}"))
    page.on("console", lambda m: trail.append(f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: trail.append(f"page error: {e}"))
    yield page
    if request.node.stash.get(_FAILED, False):
        print("\nlast browser events:\n  " + "\n  ".join(trail[-40:]))
        # what the browser showed when the test failed, for the CI log's reader
        folder = SCREENSHOTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
        try:
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            (folder / f"{name}.html").write_text(page.content(), encoding="utf-8")
            print(f"\nbrowser state at failure: {folder / name}.png (.html), url {page.url}")
            print("visible text:\n" + page.inner_text("body")[:3000])
        except Exception as exc:  # the page may be gone; the failure itself matters more
            print(f"\ncould not save the browser state: {exc}")
    context.close()


@pytest.fixture
def screenshot(page: Any) -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# htmx binds swapped-in content only once it has settled (~20 ms after the swap): a click or
# a choice made before that goes unheard or, on a form, submits natively. Seen in CI.
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def settled(page: Any) -> None:
    """Wait until no htmx request, swap or settle is under way on ``page``."""
    page.wait_for_function(f"() => !document.querySelector({HTMX_BUSY!r})")
