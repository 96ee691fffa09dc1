"""Playwright fixtures: Debian's Chromium at a phone's width, in Chinese.

Run with `./dev browser`. Needs /usr/bin/chromium and fonts-noto-cjk; Playwright's own
browser downloads are never used.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from deliberation import sms

# Playwright's sync API keeps an event loop running in the test thread, and Django
# refuses ORM calls from a thread with a running loop unless told it is safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_phone(browser, live_server):
    """Opens a fresh browser context (its own cookies) on a 360 px phone, in zh-CN."""
    contexts = []

    def open_page():
        context = browser.new_context(
            viewport=PHONE_VIEWPORT, locale="zh-CN", base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """Saves a full-page screenshot under tests/browser/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page, name: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return save


@pytest.fixture
def last_sms_code():
    """The six-digit code in the newest text message sent to a phone number."""

    def code_for(phone: str) -> str:
        texts = [m.text for m in sms.outbox if m.phone == phone]
        assert texts, f"no SMS was sent to {phone}"
        return re.search(r"\d{6}", texts[-1]).group()

    return code_for
