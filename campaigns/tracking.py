"""What happens to a message after it left: the ESP's tracking webhooks (through django-anymail),
one-click unsubscribes, and the suppressions they cause.

Anymail authenticates each webhook (HTTP basic auth with ANYMAIL_WEBHOOK_SECRET, and the ESP's own
signature where it has one) and hands a normalised event to its `tracking` signal, its only interface;
`tracking_received` is connected to it and passes the event to `tracking_event_record`.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from campaigns.models import Delivery, DeliveryEvent, Suppression
from carecrm import clock
from lifecycle.services import customer_unsubscribe, event_record

logger = logging.getLogger(__name__)
Status = Delivery.Status
# How far a message has come: a later report never moves it back (an "opened" arriving after "clicked").
RANK = {
    Status.SENT: 1,
    Status.DELIVERED: 2,
    Status.OPENED: 3,
    Status.CLICKED: 4,
    Status.BOUNCED: 5,
    Status.COMPLAINED: 6,
}
KINDS = {
    "delivered": Status.DELIVERED,
    "opened": Status.OPENED,
    "clicked": Status.CLICKED,
    "bounced": Status.BOUNCED,
    "complained": Status.COMPLAINED,
    "unsubscribed": None,
}


def tracking_received(sender, event, esp_name, **kwargs) -> None:
    metadata = event.metadata or {}
    tracking_event_record(
        esp_name=esp_name,
        kind=event.event_type,
        esp_event_id=event.event_id or "",
        message_id=event.message_id or "",
        delivery_id=metadata.get("delivery"),
        occurred_at=event.timestamp or clock.now(),
        url=event.click_url or "",
    )


def _delivery_for(*, delivery_id, message_id: str) -> Delivery | None:
    deliveries = Delivery.objects.select_related("customer", "campaign")
    if delivery_id and str(delivery_id).isdigit():
        found = deliveries.filter(pk=int(delivery_id)).first()
        if found is not None:
            return found
    return deliveries.filter(esp_message_id=message_id).first() if message_id else None


def tracking_event_record(
    *,
    esp_name: str,
    kind: str,
    esp_event_id: str,
    message_id: str,
    delivery_id,
    occurred_at: datetime,
    url: str = "",
    now: datetime | None = None,
) -> DeliveryEvent | None:
    """Apply one tracking event to its delivery, once: None when it is not about a campaign message, is
    of a kind that changes nothing, was applied already (the same webhook delivered again), or is older
    than any ESP's retries run (WEBHOOK_EVENT_MAX_AGE_HOURS): a captured webhook replayed later."""
    if kind not in KINDS:
        return None
    received_at = now or clock.now()
    if occurred_at < received_at - timedelta(hours=settings.CARECRM["WEBHOOK_EVENT_MAX_AGE_HOURS"]):
        logger.warning("%s %s event of %s ignored: older than ESP retries run", esp_name, kind, occurred_at)
        return None
    # An ESP clock running ahead must not date an open after events that truly came later.
    occurred_at = min(occurred_at, received_at)
    delivery = _delivery_for(delivery_id=delivery_id, message_id=message_id)
    if delivery is None:
        return None
    # ESPs that give no event id: the event's own content identifies it.
    event_key = (
        esp_event_id
        or hashlib.sha256(
            f"{kind}|{message_id}|{delivery.pk}|{occurred_at.isoformat()}|{url}".encode()
        ).hexdigest()
    )
    try:
        with transaction.atomic():
            recorded = DeliveryEvent.objects.create(
                delivery=delivery,
                kind=kind,
                esp_event_id=f"{esp_name}:{event_key}"[:200],
                occurred_at=occurred_at,
                url=url[:2000],
            )
            _apply(delivery, kind=kind, occurred_at=occurred_at, url=url)
    except IntegrityError:
        if DeliveryEvent.objects.filter(esp_event_id=f"{esp_name}:{event_key}"[:200]).exists():
            return None
        raise
    return recorded


def _advance(delivery: Delivery, status: str, **stamps) -> None:
    lower = [s for s, rank in RANK.items() if rank < RANK[status]]
    Delivery.objects.filter(pk=delivery.pk, status__in=lower).update(status=status)
    for field, value in stamps.items():
        Delivery.objects.filter(
            Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": value}), pk=delivery.pk
        ).update(**{field: value})


def _apply(delivery: Delivery, *, kind: str, occurred_at: datetime, url: str) -> None:
    customer = delivery.customer
    data = {"campaign": delivery.campaign.slug, "step": delivery.step_id, "delivery": delivery.pk}
    if kind == "delivered":
        _advance(delivery, Status.DELIVERED, delivered_at=occurred_at)
    elif kind == "opened":
        first = delivery.opened_at is None
        _advance(delivery, Status.OPENED, opened_at=occurred_at)
        if first:
            event_record(
                customer=customer,
                kind="message_opened",
                occurred_at=occurred_at,
                summary=f"Opened {delivery.campaign.name}: {delivery.subject or delivery.step_id}"[:300],
                data=data,
                key=f"message_opened:{delivery.pk}",
            )
    elif kind == "clicked":
        _advance(delivery, Status.CLICKED, clicked_at=occurred_at, opened_at=occurred_at)
        event_record(
            customer=customer,
            kind="message_clicked",
            occurred_at=occurred_at,
            summary=f"Clicked in {delivery.campaign.name}: {url}"[:300],
            data={**data, "url": url[:500]},
        )
    elif kind in ("bounced", "complained"):
        _advance(delivery, Status.BOUNCED if kind == "bounced" else Status.COMPLAINED)
        reason = Suppression.Reason.BOUNCE if kind == "bounced" else Suppression.Reason.COMPLAINT
        if delivery.to:
            Suppression.objects.get_or_create(
                email=delivery.to.lower(),
                defaults={"reason": reason, "created_at": occurred_at, "note": f"delivery {delivery.pk}"},
            )
        if kind == "complained":
            delivery_unsubscribe(delivery=delivery, occurred_at=occurred_at, source="spam complaint")
    else:  # unsubscribed at the ESP
        delivery_unsubscribe(
            delivery=delivery, occurred_at=occurred_at, source=f"{delivery.campaign.slug} (ESP)"
        )


def delivery_unsubscribe(*, delivery: Delivery, occurred_at: datetime, source: str) -> bool:
    """Unsubscribe the customer a delivery went to, and count it against that delivery's campaign."""
    Delivery.objects.filter(pk=delivery.pk, unsubscribed_at__isnull=True).update(unsubscribed_at=occurred_at)
    return customer_unsubscribe(
        customer=delivery.customer,
        occurred_at=occurred_at,
        source=source,
        data={"campaign": delivery.campaign.slug, "delivery": delivery.pk},
    )
