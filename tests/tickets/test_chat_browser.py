"""Live chat end to end in two headless Chromium contexts, laid out as in production: the console on the
web server (pytest-django's live server), the sockets on uvicorn in a process of its own, and the widget
on a shop page of another origin. The customer's connection is cut in the middle of the chat; nothing
either side wrote meanwhile is lost or shown twice.

With CARECRM_UPDATE_SCREENSHOTS=1 the two sides' screenshots replace docs/screenshots/chat-console.png and
docs/screenshots/chat-widget.png."""

import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from tests.browser import needs_chromium, new_page, wait_until
from tests.celery_worker import database_url
from tests.factories import UserFactory
from tests.outages import DatabaseRelay, free_port
from tickets.models import Chat, ChatPresence, Message

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium, pytest.mark.slow]
BASE_DIR = Path(__file__).resolve().parent.parent.parent
PASSWORD = "correct horse battery staple"
SHOP_PAGE = """<!doctype html><html><head><meta name="viewport" content="width=device-width">
<title>Shop</title></head><body><h1>Checkout</h1>
<script src="/static/chat/widget.js" async data-socket="{socket}"></script></body></html>"""


class ShopHandler(http.server.SimpleHTTPRequestHandler):
    """The shop: its checkout page, and the widget's files as a CDN would serve them."""

    def __init__(self, *args, page: str, **kwargs):
        self.page = page
        super().__init__(*args, directory=str(BASE_DIR), **kwargs)

    def do_GET(self):
        if self.path.startswith("/static/chat/"):
            return super().do_GET()
        body = self.page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def chat_server(live_server, settings):
    """uvicorn serving the sockets on the test database; the customer reaches it through a relay that can
    cut their connection (tests.outages.DatabaseRelay relays any TCP), the console directly."""
    port = free_port()
    shop_port = free_port()
    shop_origin = f"http://127.0.0.1:{shop_port}"
    log = BASE_DIR / "var" / f"uvicorn-{port}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carecrm.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CARECRM_SITE_URL": live_server.url,
        "CARECRM_CHAT_ALLOWED_ORIGINS": shop_origin,
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "carecrm.asgi:application",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    relay = DatabaseRelay(("127.0.0.1", port))
    # The console's host, so that its session cookie goes along.
    socket_url = f"ws://{urlsplit(live_server.url).hostname}:{port}/ws/chat/"
    shop = http.server.ThreadingHTTPServer(
        ("127.0.0.1", shop_port),
        functools.partial(ShopHandler, page=SHOP_PAGE.format(socket=f"ws://127.0.0.1:{relay.port}/ws/chat/")),
    )
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    # The console page names the socket and its policy allows connecting to it (CARECRM_CHAT_SOCKET_URL).
    settings.CARECRM = {**settings.CARECRM, "CHAT_SOCKET_URL": socket_url}
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            **directives,
            "connect-src": [*directives["connect-src"], socket_url.removesuffix("/ws/chat/")],
        }
    }
    try:
        deadline = time.monotonic() + 30
        while "Application startup complete" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield {"shop": f"{shop_origin}/checkout", "relay": relay, "log": log}
    finally:
        shop.shutdown()
        relay.stop()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.unlink(missing_ok=True)


def texts(page, selector: str) -> list[str]:
    return page.locator(selector).all_inner_texts()


def test_a_customer_and_an_agent_chat_through_widget_and_console_and_a_dropped_socket_loses_nothing(
    browser, live_server, chat_server, tmp_path
):
    UserFactory(username="alex", role="agent", first_name="Alex", password=PASSWORD)
    with (
        new_page(browser, viewport={"width": 1400, "height": 900}) as agent,
        new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True) as customer,
    ):
        agent.goto(f"{live_server.url}/accounts/login/?next=/console/chats/")
        agent.get_by_label("Username").fill("alex")
        agent.get_by_label("Password").fill(PASSWORD)
        agent.get_by_role("button", name="Sign in").click()
        agent.wait_for_url("**/console/chats/")
        wait_until(agent, "document.querySelector('[data-chat=connection]').textContent === 'Connected'")
        agent.select_option("[data-chat=presence]", "available")
        wait_until(agent, "true", timeout=0.1)
        deadline = time.monotonic() + 5
        while not ChatPresence.objects.filter(status="available").exists():
            assert time.monotonic() < deadline, "the agent never became available"
            time.sleep(0.05)

        # The customer, on a phone, opens the widget on the shop's checkout page and asks.
        customer.goto(chat_server["shop"])
        customer.locator("[data-chat=open]").click()
        customer.locator("[data-chat=email]").fill("ana@mail.example")
        customer.locator("[data-chat=text]").fill("Does the jacket come in blue?")
        customer.locator("[data-chat=send]").click()
        customer.locator("li.from-customer[data-id]").wait_for()
        panel = customer.locator(".panel").bounding_box()
        assert panel["width"] == 390  # full screen on a phone

        # The agent sees them waiting, accepts, and sees the question with the customer beside it.
        agent.locator("[data-accept]").click()
        agent.locator(".chat-log li.from-customer", has_text="Does the jacket come in blue?").wait_for()
        agent.locator(".customer-side", has_text="ana@mail.example").wait_for()
        customer.locator("[data-chat=status]", has_text="You are chatting with Alex").wait_for()

        agent.locator("[data-chat=text]").type("Let me check")
        customer.locator("[data-chat=typing]").wait_for(state="visible")
        agent.locator("[data-chat=text]").press("Enter")
        customer.locator("li.from-agent", has_text="Let me check").wait_for()
        agent.locator("[data-chat=seen]").wait_for(state="visible")  # the widget was open: read

        # The customer's connection drops. Meanwhile the agent answers and the customer writes.
        chat_server["relay"].restart(down_for=2.5)
        agent.locator("[data-chat=text]").fill("Yes, in navy blue and sky blue.")
        agent.locator("[data-chat=text]").press("Enter")
        agent.locator(".chat-log li.from-agent[data-id]", has_text="navy blue").wait_for()
        customer.locator("[data-chat=text]").fill("Great, I will take navy")
        customer.locator("[data-chat=send]").click()
        customer.locator("li.from-customer.pending", has_text="I will take navy").wait_for()

        # Reconnected: each side has everything, once.
        customer.locator("li.from-agent", has_text="navy blue").wait_for(timeout=15000)
        agent.locator(".chat-log li.from-customer", has_text="I will take navy").wait_for(timeout=15000)
        customer.locator("li.from-customer[data-id]", has_text="I will take navy").wait_for()
        expected = [
            "Does the jacket come in blue?",
            "Let me check",
            "Yes, in navy blue and sky blue.",
            "Great, I will take navy",
        ]
        assert [t.splitlines()[-1] for t in texts(customer, "[data-chat=log] li")] == expected
        assert [t.splitlines()[-1] for t in texts(agent, ".chat-log li")] == expected
        assert list(Message.objects.order_by("pk").values_list("text", flat=True)) == expected
        for page, name in ((agent, "chat-console.png"), (customer, "chat-widget.png")):
            page.screenshot(path=str(tmp_path / name))
            if os.environ.get("CARECRM_UPDATE_SCREENSHOTS") == "1":
                (BASE_DIR / "docs" / "screenshots" / name).write_bytes((tmp_path / name).read_bytes())

        # The customer ends the chat and rates it.
        customer.locator("[data-chat=end]").click()
        customer.locator("[data-rating='5']").click()
        customer.locator("[data-chat=notice]", has_text="Thank you").wait_for()
        agent.locator("[data-chat=close]").wait_for(state="visible")

    chat = Chat.objects.select_related("ticket__csat").get()
    assert chat.status == "ended" and chat.ticket.status == "resolved" and chat.ticket.csat.rating == 5
    assert chat_server["relay"].dropped >= 1
