"""The console's main flows in headless Chromium: find a customer by an order number in the search box,
read their timeline, open a ticket from their page, view a dashboard and download its CSV.

With CARECRM_UPDATE_SCREENSHOTS=1 the customer page and the support dashboard replace
docs/screenshots/customer.png and docs/screenshots/dashboard.png.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from carecrm import demo
from tests.browser import needs_chromium, wait_until
from tests.console.test_inbox_browser import sign_in
from tests.factories import UserFactory
from tests.orders.track_factories import order_place, shipment_send
from tickets.models import Ticket
from tickets.services import ticket_open, ticket_reply

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def test_an_agent_finds_a_customer_by_order_number_and_opens_a_ticket_for_them(page, live_server):
    agent = UserFactory(username="alex", role="agent", password=demo.DEMO_PASSWORD)
    now = timezone.now()
    order = order_place(number="100901", email="lena.berg@mail.example", placed_at=now - timedelta(days=4))
    shipment_send(order, carrier="DHL", tracking_number="JD0146000099", shipped_at=now - timedelta(days=3))
    earlier = ticket_open(
        channel="email", email="lena.berg@mail.example", subject="Gift wrap?", body="Can you wrap it?"
    ).ticket
    ticket_reply(ticket=earlier, author=agent, text="Yes, with pleasure.", status=Ticket.Status.RESOLVED)

    sign_in(page, live_server, "alex")
    search = page.get_by_label("Find a customer, order or ticket")
    search.fill("100901")
    page.locator("#global-search-results .found-order").filter(has_text="100901").wait_for()
    search.press("Enter")
    page.wait_for_load_state()

    assert page.url.startswith(f"{live_server.url}/console/customers/{order.customer_id}/")
    timeline = page.locator("#timeline")
    assert "order_placed" in timeline.inner_text()
    page.get_by_role("link", name="Everything").click()
    page.wait_for_load_state()
    kinds = page.locator("#timeline .kind").all_inner_texts()
    assert {"order_placed", "shipment_created", "ticket_opened", "ticket_replied"} <= set(kinds)
    assert "JD0146000099" in page.locator("[aria-label=Orders]").inner_text()
    if os.environ.get("CARECRM_UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / "customer.png"), full_page=True)

    page.get_by_role("link", name="Log a call").click()
    page.wait_for_load_state()
    assert page.get_by_label("Customer's email").input_value() == "lena.berg@mail.example"
    page.get_by_label("Subject").fill("Called about the delivery day")
    page.get_by_label("What the customer said").fill("Asked whether the parcel comes before Friday.")
    page.get_by_role("button", name="Log").click()
    page.wait_for_load_state()

    logged = Ticket.objects.get(subject="Called about the delivery day")
    assert page.url == f"{live_server.url}/console/tickets/{logged.pk}/"
    assert (logged.channel, logged.customer_id) == ("phone", order.customer_id)


def test_a_manager_views_the_support_dashboard_and_downloads_a_chart_as_csv(page, live_server):
    UserFactory(username="mina", role="manager", password=demo.DEMO_PASSWORD)
    for n in range(6):
        ticket_open(
            channel="web" if n % 2 else "email", email=f"c{n}@mail.example", subject=f"Q{n}", body="?"
        )

    sign_in(page, live_server, "mina")
    page.get_by_role("link", name="Dashboards").click()
    page.wait_for_load_state()

    volume = page.locator("#chart-volume")
    volume.locator("canvas").wait_for()
    wait_until(page, "window.Chart && Object.keys(window.Chart.instances).length >= 6")
    if os.environ.get("CARECRM_UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    with page.expect_download() as download_info:
        volume.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "support-volume.csv"
    lines = Path(download.path()).read_text().splitlines()
    assert lines[0] == "Week,Email,Web form,Chat,Phone,API"
    assert lines[-1].split(",")[1:3] == ["3", "3"]
