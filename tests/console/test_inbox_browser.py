"""The inbox flow in headless Chromium: an agent opens a ticket from the inbox, reads the customer beside
it, answers with a macro, and resolves it.

With CARECRM_UPDATE_SCREENSHOTS=1 the ticket page's screenshot replaces docs/screenshots/inbox.png.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest

from carecrm import demo
from tests.browser import needs_chromium, wait_until
from tests.factories import UserFactory
from tests.orders.track_factories import order_place, shipment_send
from tickets.models import Macro, Ticket
from tickets.services import ticket_open

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "inbox.png"
pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_an_agent_opens_a_ticket_reads_the_customer_answers_with_a_macro_and_resolves(
    page, live_server, tmp_path
):
    UserFactory(username="alex", role="agent", password=demo.DEMO_PASSWORD, first_name="Alex")
    order = order_place(number="100501", email="mira.holt@mail.example")
    shipment_send(
        order, carrier="DHL", tracking_number="JD014600006281", shipped_at=order.placed_at + timedelta(days=1)
    )
    ticket = ticket_open(
        channel="email",
        email="mira.holt@mail.example",
        subject="Where is my parcel?",
        body="Ordered last week, nothing yet.",
        order_number="100501",
    ).ticket
    urgent = ticket_open(
        channel="web", email="bo@mail.example", subject="You charged me twice", body="Twice!"
    ).ticket
    Macro.objects.create(
        name="Parcel on its way", text="Hi {{ customer_name }}, order {{ order_number }} is on its way."
    )

    sign_in(page, live_server, "alex")
    page.goto(f"{live_server.url}/console/inbox/?view=all")
    rows = page.locator("[data-ticket-row]")
    assert rows.count() == 2
    assert urgent.reference in rows.first.inner_text()  # urgent at the head of the queue

    # Keyboard: j selects the next row, o opens it.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"**/console/tickets/{ticket.pk}/")

    side = page.get_by_role("complementary", name="Customer")
    assert "mira.holt@mail.example" in side.inner_text()
    assert "100501" in side.locator(".recent-orders").inner_text()
    assert "JD014600006281" in side.locator(".recent-orders").inner_text()

    page.locator("#macro-select").select_option(label="Parcel on its way")
    reply = page.locator("#reply-text")
    wait_until(page, "document.querySelector('#reply-text').value.includes('100501')")
    assert reply.input_value().startswith(f"Hi {ticket.customer.first_name}, order 100501 is on its way.")
    reply.press("End")
    reply.type(" It arrives tomorrow.")
    page.locator("form.reply select[name=status]").select_option("resolved")
    page.locator("form.reply").get_by_role("button", name="Send").click()

    page.locator(".message-outbound", has_text="It arrives tomorrow.").wait_for()
    assert "Resolved" in page.locator(".ticket-head").inner_text()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.first_responded_at is not None
    answer = ticket.messages.get(direction="outbound", kind="message")
    assert answer.text.startswith(
        f"Hi {ticket.customer.first_name}, order 100501 is on its way. It arrives tomorrow."
    )

    shot = tmp_path / "inbox.png"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("CARECRM_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.write_bytes(shot.read_bytes())
