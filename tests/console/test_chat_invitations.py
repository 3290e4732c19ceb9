"""Chat invitation rules in the console: the list with what each rule's invitations came to, a manager
writing and changing rules (a wrong value is the form again with its error, never a 500), agents reading
but not writing, and the list's queries fixed however many rules and invitations."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tickets.chat import invitations
from tickets.models import ChatInvitation, ChatInvitationRule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
RULE = {
    "name": "Stuck at checkout",
    "text": "Need a hand with your order?",
    "is_active": "on",
    "position": "1",
    "page_contains": "/checkout",
    "cart_idle_minutes": "10",
    "cart_min_value": "",
    "min_orders": "",
}


@pytest.fixture
def manager(client):
    client.force_login(UserFactory(role="manager"))
    return client


def sent(rule, *answers: str) -> None:
    for n, answer in enumerate(answers):
        ChatInvitation.objects.create(
            rule=rule,
            visitor=f"{rule.pk}-{n}",
            sent_at=NOW - timedelta(days=n),
            answer=answer,
            answered_at=NOW if answer else None,
        )


def test_the_list_shows_each_rules_invitations_in_the_order_they_are_tried(manager):
    big_cart = ChatInvitationRule.objects.create(
        name="Big cart", text="Questions?", cart_min_value=Decimal("500"), position=2
    )
    checkout = ChatInvitationRule.objects.create(
        name="Checkout", text="Need a hand?", page_contains="/checkout", position=1
    )
    ChatInvitationRule.objects.create(name="Old", text="Hi", position=3, is_active=False)
    sent(checkout, "accepted", "accepted", "declined", "")
    sent(big_cart, "declined")

    response = manager.get("/console/chats/invitations/")

    html = response.content.decode()
    rows = [
        (r.rule.name, r.sent, r.accepted, r.declined, r.acceptance_rate) for r in response.context["results"]
    ]
    assert rows == [("Checkout", 4, 2, 1, 50.0), ("Big cart", 1, 0, 1, 0.0), ("Old", 0, 0, 0, None)]
    assert "<td>50.0&nbsp;%</td>" in html
    assert f'href="/console/chats/invitations/{checkout.pk}/"' in html
    assert 'href="/console/chats/invitations/new/"' in html
    assert "the page address contains <code>/checkout</code>" in html
    assert "the cart is worth at least 500.00" in html


def test_a_manager_writes_a_rule_that_the_widget_then_applies(manager, monkeypatch):
    form = manager.get("/console/chats/invitations/new/")
    assert form.status_code == 200 and "Part of the page address, such as /checkout." in form.content.decode()

    response = manager.post("/console/chats/invitations/new/", RULE, follow=True)

    assert response.redirect_chain == [("/console/chats/invitations/", 302)]
    assert "Invitation rule “Stuck at checkout” saved (active)." in response.content.decode()
    rule = ChatInvitationRule.objects.get()
    assert (rule.page_contains, rule.cart_idle_minutes, rule.cart_min_value, rule.min_orders) == (
        "/checkout",
        10,
        None,
        None,
    )
    monkeypatch.setattr(invitations, "chat_available", lambda *, now: True)
    cart = {"value": "80", "updated_at": (NOW - timedelta(minutes=15)).isoformat()}
    shown = invitations.invitation_for(
        visitor="v1", customer=None, page_url="https://shop.example/checkout", page_cart=cart, now=NOW
    )
    assert shown.rule == rule


def test_a_manager_changes_and_deactivates_a_rule(manager):
    rule = ChatInvitationRule.objects.create(name="Checkout", text="Need a hand?", page_contains="/checkout")

    page = manager.get(f"/console/chats/invitations/{rule.pk}/")
    changed = {**RULE, "name": "Checkout, big carts", "cart_min_value": "250.00", "min_orders": "0"}
    del changed["is_active"]  # the box unticked
    response = manager.post(f"/console/chats/invitations/{rule.pk}/", changed)

    assert page.status_code == 200 and 'value="Checkout"' in page.content.decode()
    assert response.status_code == 302 and response["Location"] == "/console/chats/invitations/"
    rule.refresh_from_db()
    assert rule.name == "Checkout, big carts" and not rule.is_active
    assert rule.cart_min_value == Decimal("250.00") and rule.min_orders == 0
    assert manager.get("/console/chats/invitations/999999/").status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"cart_min_value": "-5"}, "cart_min_value", "never worth less than nothing"),
        ({"cart_idle_minutes": "ten"}, "cart_idle_minutes", "Enter a whole number."),
        ({"position": "-1"}, "position", "greater than or equal to 0"),
        ({"text": "x" * 301}, "text", "at most 300 characters"),
    ],
)
def test_a_wrong_value_shows_the_form_again_with_its_error(manager, change, field, error):
    response = manager.post("/console/chats/invitations/new/", {**RULE, **change})

    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors[field])
    assert error in response.content.decode()
    assert not ChatInvitationRule.objects.exists()


def test_agents_read_the_list_but_write_no_rule(client):
    rule = ChatInvitationRule.objects.create(name="Checkout", text="Need a hand?")
    client.force_login(UserFactory(role="agent"))

    listing = client.get("/console/chats/invitations/")

    assert listing.status_code == 200
    assert "/console/chats/invitations/new/" not in listing.content.decode()
    assert f"/console/chats/invitations/{rule.pk}/" not in listing.content.decode()
    assert client.get("/console/chats/invitations/new/").status_code == 403
    assert client.get(f"/console/chats/invitations/{rule.pk}/").status_code == 403
    assert client.post("/console/chats/invitations/new/", RULE).status_code == 403
    assert client.post(f"/console/chats/invitations/{rule.pk}/", {**RULE, "name": "Mine"}).status_code == 403
    rule.refresh_from_db()
    assert rule.name == "Checkout" and ChatInvitationRule.objects.count() == 1


def test_marketers_and_strangers_are_kept_out(client):
    client.force_login(UserFactory(role="marketer"))
    assert client.get("/console/chats/invitations/").status_code == 403
    client.logout()
    assert client.get("/console/chats/invitations/").status_code == 302


def test_the_list_reads_a_fixed_number_of_queries(manager):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert manager.get("/console/chats/invitations/").status_code == 200
        return len(context.captured_queries)

    rule = ChatInvitationRule.objects.create(name="Checkout", text="Need a hand?")
    sent(rule, "accepted")
    # session, user, the user's and the groups' permissions; the rules with their invitations counted
    assert queries() == 5
    for n in range(10):
        more = ChatInvitationRule.objects.create(name=f"Rule {n}", text="Hi", position=n)
        sent(more, "accepted", "declined", "")
    assert queries() == 5
