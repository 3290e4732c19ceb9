"""Proactive chat invitations. The open widget tells CareCRM where the visitor is (the page, and for an
anonymous visitor the cart the page shows); the first active rule whose every condition holds invites
them, once per rule and visitor a day, and only while an agent can answer. Accepting or declining is
recorded on the invitation, which the chat dashboard counts."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from customers.models import Customer
from lifecycle.services import event_record
from orders.models import Cart
from tickets.chat.services import chat_available
from tickets.models import ChatInvitation, ChatInvitationRule

# One invitation per rule and visitor in this span: a visitor who declined is not asked again today.
REPEAT_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class CartSeen:
    value: Decimal
    updated_at: datetime


def cart_seen(*, customer: Customer | None, page_cart) -> CartSeen | None:
    """The visitor's open cart: the store's own (pushed through the API) for a known customer, else what
    the page reported (`{"value": "129.90", "updated_at": ISO-8601}`), else None."""
    if customer is not None:
        cart = (
            Cart.objects.filter(customer=customer, checked_out=False)
            .order_by("-updated_at")
            .only("value", "updated_at")
            .first()
        )
        if cart is not None:
            return CartSeen(value=cart.value, updated_at=cart.updated_at)
    if not isinstance(page_cart, dict):
        return None
    try:
        value = Decimal(str(page_cart.get("value", "")))
        updated_at = parse_datetime(str(page_cart.get("updated_at", "")))
    except (InvalidOperation, ValueError):
        return None
    if updated_at is None or updated_at.tzinfo is None or not value.is_finite() or value < 0:
        return None
    return CartSeen(value=value, updated_at=updated_at)


def rule_holds(
    rule: ChatInvitationRule, *, path: str, cart: CartSeen | None, customer: Customer | None, now: datetime
) -> bool:
    if rule.page_contains and rule.page_contains.lower() not in path.lower():
        return False
    if rule.cart_idle_minutes is not None and (
        cart is None or now - cart.updated_at < timedelta(minutes=rule.cart_idle_minutes)
    ):
        return False
    if rule.cart_min_value is not None and (cart is None or cart.value < rule.cart_min_value):
        return False
    return rule.min_orders is None or (customer is not None and customer.orders_count >= rule.min_orders)


def invitation_for(
    *, visitor: str, customer: Customer | None, page_url: str, page_cart=None, now: datetime
) -> ChatInvitation | None:
    """The invitation to show this visitor now, recorded (with `chat_invited`), or None."""
    if not visitor:
        return None
    rules = list(ChatInvitationRule.objects.filter(is_active=True))
    if not rules:
        return None
    asked = set(
        ChatInvitation.objects.filter(visitor=visitor, sent_at__gte=now - REPEAT_AFTER).values_list(
            "rule_id", flat=True
        )
    )
    rules = [rule for rule in rules if rule.pk not in asked]
    if not rules:
        return None
    try:
        path = urlsplit(page_url).path or "/"
    except ValueError:
        return None
    cart = cart_seen(customer=customer, page_cart=page_cart)
    rule = next((r for r in rules if rule_holds(r, path=path, cart=cart, customer=customer, now=now)), None)
    if rule is None or not chat_available(now=now):
        return None
    with transaction.atomic():
        invitation = ChatInvitation.objects.create(
            rule=rule, customer=customer, visitor=visitor, page_url=page_url[:500], sent_at=now
        )
        if customer is not None:
            event_record(
                customer=customer,
                kind="chat_invited",
                occurred_at=now,
                summary=f"Invited to chat: {rule.name}"[:300],
                data={"invitation": invitation.pk, "rule": rule.pk, "page_url": invitation.page_url},
            )
    return invitation


def invitation_answer(*, invitation_id, visitor: str, answer: str, now: datetime) -> ChatInvitation:
    """The visitor accepted or declined; the first answer counts."""
    if answer not in (ChatInvitation.Answer.ACCEPTED, ChatInvitation.Answer.DECLINED):
        raise ValidationError({"answer": ["Answer accepted or declined."]})
    if not isinstance(invitation_id, int) or isinstance(invitation_id, bool):
        raise ValidationError({"invitation": ["No such invitation."]})
    invitation = ChatInvitation.objects.filter(pk=invitation_id, visitor=visitor).first()
    if invitation is None:
        raise ValidationError({"invitation": ["No such invitation."]})
    ChatInvitation.objects.filter(pk=invitation.pk, answer=ChatInvitation.Answer.PENDING).update(
        answer=answer, answered_at=now
    )
    invitation.refresh_from_db()
    return invitation
