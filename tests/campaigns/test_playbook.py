"""The contract's playbook running by itself: `tick --now` across days and months, each kind of customer
getting the right step at the right time, consent and exits honoured, one delivery per step."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from campaigns.models import Coupon, Delivery, Enrollment
from campaigns.playbook import playbook_install
from lifecycle.models import Event
from lifecycle.services import customer_upsert
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC: outside the quiet hours


@pytest.fixture(autouse=True)
def playbook():
    playbook_install()


def tick(at: datetime) -> str:
    """Beat's tick at `at`, then the next minute's, which sends what the first one queued for its task
    (no worker runs in these tests: the tasks wait in the broker, and the tick is the safety net)."""
    out = io.StringIO()
    call_command("tick", now=at.isoformat(), stdout=out)
    call_command("tick", now=(at + timedelta(minutes=2)).isoformat(), stdout=out)
    return out.getvalue()


def register(name: str, *, at: datetime = T0, consent: bool = True):
    customer, _ = customer_upsert(
        data={
            "external_id": name,
            "email": f"{name}@mail.example",
            "first_name": name.title(),
            "registered_at": at,
            "marketing_opt_in": consent,
        },
        source="test",
        now=at,
    )
    return customer


def order(customer, *, at: datetime, number: str, coupons: list[str] | None = None):
    payload = {
        "customer": {"external_id": customer.external_id},
        "placed_at": at.isoformat(),
        "number": number,
    }
    if coupons:
        payload["coupon_codes"] = coupons
    return OrderFactory(**payload)


def sent_to(customer) -> list[str]:
    return [m.subject for m in mail.outbox if m.to == [customer.email]]


def steps_of(customer) -> list[tuple[str, int, str]]:
    return list(
        Delivery.objects.filter(customer=customer)
        .order_by("step__campaign__slug", "step__position")
        .values_list("campaign__slug", "step__position", "status")
    )


def test_welcome_goes_two_days_after_registration_with_a_coupon_and_only_once():
    ada = register("ada")

    tick(T0 + timedelta(days=1))
    assert steps_of(ada) == []

    tick(T0 + timedelta(days=2, minutes=1))
    tick(T0 + timedelta(days=3))
    tick(T0 + timedelta(days=30))

    assert steps_of(ada) == [("welcome", 1, "sent")]
    [subject] = sent_to(ada)
    assert subject == "Welcome, Ada: 10 % off your first order"
    coupon = Coupon.objects.get(customer=ada)
    message = next(m for m in mail.outbox if m.to == [ada.email])
    assert coupon.code in message.body and coupon.code in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    sent = Event.objects.get(customer=ada, kind="message_sent")
    assert (sent.data["campaign"], sent.data["step"]) == ("welcome", 1)


def test_no_marketing_without_consent_but_the_order_confirmation_goes():
    bob = register("bob", consent=False)
    order(bob, at=T0 + timedelta(hours=1), number="B-1")

    for day in [0, 2, 5, 14, 60, 61]:
        tick(T0 + timedelta(days=day, hours=2))

    assert sent_to(bob) == ["Thank you for your first order B-1"]
    statuses = {(slug, pos): status for slug, pos, status in steps_of(bob)}
    assert statuses == {
        ("first-purchase", 1): "sent",
        ("first-purchase", 2): "skipped",
        ("first-purchase", 3): "skipped",
        ("first-purchase", 4): "skipped",
    }
    assert set(Delivery.objects.filter(customer=bob, status="skipped").values_list("reason", flat=True)) == {
        "No marketing consent."
    }


def test_an_order_ends_the_welcome_and_starts_the_first_purchase_series_at_its_delays():
    cleo = register("cleo")
    order(cleo, at=T0 + timedelta(days=1), number="C-1")

    tick(T0 + timedelta(days=1, minutes=5))
    assert sent_to(cleo) == ["Thank you for your first order C-1"]
    assert Enrollment.objects.get(customer=cleo, campaign__slug="welcome").state == "exited"

    tick(T0 + timedelta(days=5))  # four days after the order: the survey is not due yet
    assert len(sent_to(cleo)) == 1
    tick(T0 + timedelta(days=6, minutes=1))
    assert sent_to(cleo)[-1] == "How did we do with order C-1?"
    tick(T0 + timedelta(days=15, minutes=1))
    assert sent_to(cleo)[-1] == "Getting the most from your purchase, and 5 off the next one"
    tick(T0 + timedelta(days=61, minutes=1))

    assert sent_to(cleo) == [
        "Thank you for your first order C-1",
        "How did we do with order C-1?",
        "Getting the most from your purchase, and 5 off the next one",
        "15 % off your next order",
    ]
    assert ("welcome", 1, "sent") not in steps_of(cleo)
    assert Delivery.objects.filter(customer=cleo).count() == 4


def test_a_second_order_skips_the_coupon_steps_and_redeems_the_coupon_used():
    dan = register("dan")
    order(dan, at=T0 + timedelta(hours=1), number="D-1")
    tick(T0 + timedelta(hours=2))
    tick(T0 + timedelta(days=14, hours=2))
    tips = Delivery.objects.get(customer=dan, step__position=3)
    code = Coupon.objects.get(delivery=tips).code

    order(dan, at=T0 + timedelta(days=20), number="D-2", coupons=[code.lower()])
    tick(T0 + timedelta(days=61, hours=2))

    assert Delivery.objects.get(customer=dan, step__position=4).status == "skipped"
    coupon = Coupon.objects.get(code=code)
    assert coupon.redeemed_at == T0 + timedelta(days=20)
    redeemed = Event.objects.get(customer=dan, kind="coupon_redeemed")
    assert redeemed.data["coupon"] == code
    tips.refresh_from_db()
    assert tips.converted_order_id == redeemed.data["order"]


def test_a_dormant_customer_is_won_back_and_thanked_after_coming_back():
    eve = register("eve", at=T0 - timedelta(days=200))
    order(eve, at=T0 - timedelta(days=100), number="E-1")  # long ago: the backfill sends nothing
    tick(T0)
    eve.refresh_from_db()
    assert eve.lifecycle_stage == "dormant"
    assert sent_to(eve) == ["We miss you, Eve: 20 % off"]

    order(eve, at=T0 + timedelta(days=3), number="E-2")
    tick(T0 + timedelta(days=3, hours=1))
    tick(T0 + timedelta(days=40))

    assert sent_to(eve) == ["We miss you, Eve: 20 % off", "Welcome back, and 10 off your next order"]
    enrollment = Enrollment.objects.get(customer=eve, campaign__slug="win-back")
    assert enrollment.state == "exited"
    kinds = list(
        Event.objects.filter(customer=eve, occurred_at__gte=T0)
        .order_by("occurred_at", "id")
        .values_list("kind", flat=True)
    )
    assert kinds.index("stage_changed") < kinds.index("message_sent") < kinds.index("order_placed")


def test_a_backfill_of_old_registrations_and_orders_enrolls_no_one():
    old = register("old", at=T0 - timedelta(days=30))
    order(old, at=T0 - timedelta(days=20), number="O-1")

    tick(T0)
    tick(T0 + timedelta(days=90))

    assert not Enrollment.objects.filter(
        customer=old, campaign__slug__in=["welcome", "first-purchase"]
    ).exists()
    assert [s for s in sent_to(old) if "first order" in s] == []


def test_quiet_hours_hold_marketing_until_morning_in_the_customers_time_zone():
    fay = register("fay", at=datetime(2026, 3, 2, 19, 30, tzinfo=UTC))
    fay.time_zone = "Asia/Tokyo"  # 04:30 there when the welcome falls due
    fay.save(update_fields=["time_zone"])

    tick(datetime(2026, 3, 4, 19, 31, tzinfo=UTC))
    assert sent_to(fay) == []
    delivery = Delivery.objects.get(customer=fay)
    assert delivery.status == "queued"
    assert delivery.due_at == datetime(2026, 3, 4, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo

    tick(datetime(2026, 3, 4, 23, 1, tzinfo=UTC))
    assert sent_to(fay) == ["Welcome, Fay: 10 % off your first order"]


def test_the_frequency_cap_skips_marketing_beyond_the_weekly_limit(settings):
    settings.CARECRM = {**settings.CARECRM, "CAMPAIGN_FREQUENCY_CAP": 1}
    gil = register("gil", at=T0 - timedelta(days=200))
    order(gil, at=T0 - timedelta(days=100), number="G-1")
    tick(T0)  # the win-back reactivation: this week's one marketing email
    register_then_welcome = Delivery.objects.filter(customer=gil, status="sent").count()
    assert register_then_welcome == 1

    order(gil, at=T0 + timedelta(days=1), number="G-2")
    tick(T0 + timedelta(days=1, hours=1))

    thanks = Delivery.objects.get(customer=gil, step__on_exit=True)
    assert (thanks.status, thanks.reason) == ("skipped", "Frequency cap: enough marketing emails this week.")
