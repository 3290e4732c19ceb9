"""Debian's Chromium driven by Playwright, for tests against pytest-django's live server. CI installs
/usr/bin/chromium; a module that marks itself with `needs_chromium` is skipped without it, never reported
as passing."""

from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: apt-get install chromium"
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an asyncio loop in this thread, and Django refuses ORM calls from a
        # thread with a running loop. The test's own queries are plain synchronous code all the same.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@contextmanager
def new_page(browser, **context_options):
    """A page in a fresh browser context (own cookies and storage), closed afterwards."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(5000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser):
    """A desktop-sized page."""
    with new_page(browser, viewport={"width": 1280, "height": 800}) as desktop:
        yield desktop


def wait_until(page, expression: str, *, timeout: float = 5.0) -> None:
    """Wait until `expression` is true in the page. Playwright's wait_for_function evaluates its string
    inside the page with eval, which the Content-Security-Policy refuses; page.evaluate is not bound by it."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)
