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
def django_db_modify_db_settings(tmp_path_factory):
    """On SQLite, a test database in a file, not in shared-cache memory: there the
    server's threads and the test's own writes meet table locks that fail at once
    ("database table is locked") instead of waiting their turn as file locks do."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    database.get("OPTIONS", {}).pop("pool", None)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("database") / "browser.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


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


@pytest.fixture
def asgi_server(transactional_db, settings):
    """The site served as in production, by uvicorn over ASGI (HTTP and WebSockets), in a
    thread of this process so that it shares the test database and the in-memory channel
    layer. pytest-django's live_server speaks WSGI only: no WebSockets."""
    import socket
    import threading
    import time

    import uvicorn
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from config import asgi

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(asgi.django_asgi_app),
            "websocket": asgi.application.application_mapping["websocket"],
        }
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def asgi_phone(browser, asgi_server):
    """A signed-in phone on the ASGI server: `asgi_phone(user)`; `asgi_phone(user,
    staff=True)` has also passed the TOTP step that the back office asks of staff."""
    from django.conf import settings
    from django.test import Client

    from ..factories import sign_in_staff

    contexts = []

    def open_as(user, staff: bool = False):
        client = Client()
        if staff:
            sign_in_staff(client, user)
        else:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", base_url=asgi_server)
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": asgi_server,
                }
            ]
        )
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()
