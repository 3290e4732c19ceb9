"""/track/ in a real browser on a phone-sized screen: Debian's Chromium driven by Playwright against
pytest-django's live server (tests/browser.py). Without /usr/bin/chromium these tests are skipped,
never reported as passing.

The screenshot of the order page goes to the run's artefacts directory (CARECRM_ARTEFACTS_DIR, else a
temporary one); with CARECRM_UPDATE_SCREENSHOTS=1 it also replaces docs/screenshots/track.png.
"""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from carecrm import clock
from orders.models import Return, Shipment
from tests.browser import needs_chromium, new_page
from tests.orders.track_factories import order_place, shipment_send

PHONE = {"width": 390, "height": 844}
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "track.png"

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_rate_limits"),
]


@pytest.fixture
def phone(browser):
    with new_page(browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True) as page:
        yield page


@pytest.fixture
def artefacts(tmp_path_factory) -> Path:
    configured = os.environ.get("CARECRM_ARTEFACTS_DIR")
    directory = Path(configured) if configured else tmp_path_factory.mktemp("artefacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def delivered_order():
    """An order delivered yesterday in two packages, each with its carrier's scans."""
    now = clock.now()
    placed = now - timedelta(days=5)
    order = order_place(
        number="NW-20417",
        email="mira.holt@mail.example",
        placed_at=placed,
        items=[
            {
                "sku": "KETTLE-1",
                "name": "Enamel kettle, sage",
                "quantity": 1,
                "unit_price": "39.00",
                "category": "",
            },
            {"sku": "MUG-2", "name": "Stoneware mug", "quantity": 2, "unit_price": "12.50", "category": ""},
            {
                "sku": "TEA-3",
                "name": "Breakfast tea, 250 g",
                "quantity": 1,
                "unit_price": "7.90",
                "category": "",
            },
        ],
        total="76.80",
        promised_delivery_date=(now - timedelta(days=1)).date(),
        gift_wrap=True,
        delivery_slot="Weekdays after 17:00",
    )
    shipment_send(
        order,
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        shipped_at=placed + timedelta(days=1),
        items=[{"sku": "KETTLE-1", "quantity": 1}, {"sku": "MUG-2", "quantity": 2}],
        scans=[
            (Shipment.Status.LABEL_CREATED, placed + timedelta(days=1), "Dublin", "Label created"),
            (
                Shipment.Status.IN_TRANSIT,
                placed + timedelta(days=2, hours=3),
                "Athlone hub",
                "Departed facility",
            ),
            (Shipment.Status.OUT_FOR_DELIVERY, now - timedelta(days=1, hours=6), "Galway", "On the van"),
            (Shipment.Status.DELIVERED, now - timedelta(days=1, hours=2), "Galway", "Left at the front door"),
        ],
    )
    shipment_send(
        order,
        carrier="Royal Mail",
        tracking_number="AB123456789GB",
        shipped_at=placed + timedelta(days=2),
        scans=[
            (Shipment.Status.IN_TRANSIT, placed + timedelta(days=3), "Holyhead", "In transit"),
            (Shipment.Status.DELIVERED, now - timedelta(days=1), "Galway", "Delivered to the customer"),
        ],
    )
    order.refresh_from_db()
    assert order.status == "delivered"
    return order


def look_up(page, live_server, *, number: str, email: str) -> None:
    page.goto(f"{live_server.url}/track/")
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Find my order").click()
    page.wait_for_load_state()


def test_a_customer_follows_their_order_on_a_phone_and_starts_a_return(
    phone, live_server, delivered_order, artefacts
):
    look_up(phone, live_server, number="nw-20417", email="Mira.Holt@mail.example")

    assert phone.url == f"{live_server.url}/track/NW-20417/"
    assert phone.get_by_role("heading", name="NW-20417").is_visible()
    assert "Your order was delivered on" in phone.locator(".headline").inner_text()
    ups = phone.get_by_role("link", name="Track with UPS")
    assert ups.get_attribute("href") == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    first_timeline = phone.locator(".timeline").first.locator(".event")
    assert first_timeline.count() == 4
    assert "Left at the front door" in first_timeline.first.inner_text()  # newest first
    assert "Label created" in first_timeline.last.inner_text()
    assert phone.get_by_role("link", name="Track with Royal Mail").is_visible()
    # Nothing is wider than the phone: no sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.get_by_text("Return items or make a claim").click()
    phone.get_by_label("Stoneware mug").fill("1")
    phone.get_by_label("What would you like us to do?").select_option("replacement")
    phone.get_by_label("What is wrong?").fill("One mug arrived with a chipped rim.")
    phone.locator("#return").screenshot(path=str(artefacts / "track-return-form.png"))
    phone.get_by_role("button", name="Send my request").click()
    phone.wait_for_load_state()

    ret = Return.objects.get(order=delivered_order)
    assert ret.resolution == "replacement"
    assert ret.rma in phone.locator(".notice-success").inner_text()
    assert phone.locator(".return .rma").inner_text() == ret.rma
    phone.evaluate("window.scrollTo(0, 0)")
    shot = artefacts / "track.png"
    phone.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("CARECRM_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)


def test_a_wrong_email_gets_the_generic_answer(phone, live_server, delivered_order, artefacts):
    look_up(phone, live_server, number="NW-20417", email="someone.else@mail.example")

    assert phone.url == f"{live_server.url}/track/"
    assert (
        "could not find an order with that number and email address"
        in phone.get_by_role("alert").inner_text()
    )
    assert phone.get_by_label("Order number").input_value() == "NW-20417"
    assert phone.get_by_role("heading", name="NW-20417").count() == 0
    phone.screenshot(path=str(artefacts / "track-not-found.png"), full_page=True)
