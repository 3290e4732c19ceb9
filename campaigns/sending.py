"""Sending campaign deliveries, each exactly once.

1. A batch is claimed with one conditional UPDATE (queued → sending, stamped with the batch's claim
   token): of two workers handed the same ids, each row goes to one of them.
2. The batch is sent in id order over one backend connection, and each message is marked sent (with
   its `message_sent` event) in its own transaction right after the backend accepted it.
3. So when a worker dies mid-batch, its claim holds sent rows, then at most one row whose fate is
   unknown (the first still `sending`: handed over, or about to be), then rows never attempted.
   `deliveries_recover` (a tick job, after the claim's lease) puts the untried rows back in the queue and
   asks the backend about the one in doubt (carecrm.mail.outbox_holds): accepted → marked sent; not →
   queued again; the backend cannot tell → queued again under the same Message-ID, so the mailbox
   provider sees one message.
4. `deliveries_due` (a tick job) sends queued rows that are due and were never handed to a task, or
   whose task was lost (the broker was down): the broker is a doorbell, the rows are the queue.
"""

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from campaigns import templating
from campaigns.models import Campaign, Coupon, Delivery, Step, Variant
from campaigns.services import suppressed
from carecrm import money
from carecrm.links import site_url
from carecrm.mail import esp_message_id, outbox_holds
from customers.models import Customer
from lifecycle.loyalty import loyalty_summary
from lifecycle.services import event_record, events_dispatched_together
from orders.models import Order
from orders.notifications import track_url
from orders.recommendations import recommendations_for, recommendations_for_customers

logger = logging.getLogger(__name__)
Status = Delivery.Status
UNSUBSCRIBE_SALT = "campaigns.unsubscribe"
# A queued row handed to a task this recently is still that task's to send.
TASK_GRACE = timedelta(minutes=1)


# --- Links -----------------------------------------------------------------------------------------


def unsubscribe_token(delivery: Delivery) -> str:
    # No expiry: a newsletter from last year must still unsubscribe (RFC 8058 asks for it to keep working).
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([delivery.customer_id, delivery.pk])


def unsubscribe_url(delivery: Delivery) -> str:
    return site_url(reverse("unsubscribe", kwargs={"token": unsubscribe_token(delivery)}))


# --- Rendering -------------------------------------------------------------------------------------


def _context(
    *, customer: Customer, order: Order | None, coupon: Coupon | None, recommendations: list, unsubscribe: str
) -> dict:
    """The restricted context of campaigns.templating: plain values only, never a model instance."""
    loyalty = loyalty_summary(customer)
    return {
        "customer": {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "full_name": customer.full_name,
            "email": customer.email,
            "stage": str(customer.lifecycle_stage),
            "loyalty_points": loyalty["points"],
            "loyalty_tier": loyalty["tier"],
        },
        "order": {
            "number": order.number,
            "total": str(order.total),
            "currency": order.currency,
            "placed_at": order.placed_at,
            "track_url": track_url(order),
        }
        if order
        else None,
        "coupon": {"code": coupon.code, "label": coupon.label, "expires_at": coupon.expires_at}
        if coupon
        else None,
        "recommendations": [{"sku": s.sku, "name": s.name} for s in recommendations],
        "unsubscribe_url": unsubscribe,
        "help_url": site_url("/help/"),
        "track_url": site_url("/track/"),
    }


def message_context(*, customer: Customer, coupon: Coupon | None, unsubscribe: str) -> dict:
    """One customer's context, for previews and test sends."""
    return _context(
        customer=customer,
        order=Order.objects.filter(customer=customer).order_by("-placed_at", "-pk").first(),
        coupon=coupon,
        recommendations=recommendations_for(customer),
        unsubscribe=unsubscribe,
    )


def batch_contexts(batch: list[Delivery]) -> dict[int, dict]:
    """The context of every delivery of a batch in a few queries for the whole batch, not a few per
    message; and only what the batch's templates name (a template reaches a value only by its name, so
    one that never says "recommendations" needs none computed)."""
    sources = {delivery.variant or delivery.step for delivery in batch}
    named = " ".join(f"{source.subject} {source.html} {source.text}" for source in sources)
    customer_ids = list({delivery.customer_id for delivery in batch})
    coupons = (
        {
            coupon.delivery_id: coupon
            for coupon in Coupon.objects.filter(delivery_id__in=[d.pk for d in batch])
        }
        if "coupon" in named
        else {}
    )
    orders = {}
    if "order" in named:
        latest = (
            Order.objects.filter(customer_id=OuterRef("pk")).order_by("-placed_at", "-pk").values("pk")[:1]
        )
        newest = (
            Customer.objects.filter(pk__in=customer_ids)
            .annotate(order_id=Subquery(latest))
            .values("order_id")
        )
        orders = {order.customer_id: order for order in Order.objects.filter(pk__in=newest)}
    suggestions = recommendations_for_customers(customer_ids) if "recommendations" in named else {}
    return {
        delivery.pk: _context(
            customer=delivery.customer,
            order=orders.get(delivery.customer_id),
            coupon=coupons.get(delivery.pk),
            recommendations=suggestions.get(delivery.customer_id, []),
            unsubscribe=unsubscribe_url(delivery),
        )
        for delivery in batch
    }


def preview_context(*, step: Step, customer: Customer | None, now: datetime) -> dict:
    """What a step's templates would see, for a preview or a test send: a real customer's values (their
    latest order, points, recommendations) or made-up ones without a customer, and a coupon shaped by the
    step's rule that is never issued."""
    if customer is None:
        context = templating.sample_context(now=now)
    else:
        unsubscribe = site_url("/unsubscribe/preview/")
        context = message_context(customer=customer, coupon=None, unsubscribe=unsubscribe)
    context["coupon"] = None
    if step.coupon_kind and step.coupon_value:
        currency = money.default_currency()
        coupon = Coupon(
            code="PREVIEW-CODE",
            kind=step.coupon_kind,
            value=money.to_decimal(step.coupon_value, currency),
            currency=currency,
            expires_at=now + timedelta(days=step.coupon_valid_days),
        )
        context["coupon"] = {"code": coupon.code, "label": coupon.label, "expires_at": coupon.expires_at}
    return context


def message_render(source: Step | Variant, context: dict) -> tuple[str, str, str]:
    """(subject on one line, text, HTML) of a step or variant for `context`."""
    subject = " ".join(templating.render(source.subject, context, html=False).split())[:300]
    text = templating.render(source.text, context, html=False)
    return subject, text, templating.render(source.html, context, html=True)


def delivery_message(delivery: Delivery, *, context: dict | None = None) -> EmailMultiAlternatives:
    """The email of a delivery; `context` from batch_contexts when sending a batch."""
    if context is None:
        context = batch_contexts([delivery])[delivery.pk]
    unsubscribe = context["unsubscribe_url"]
    subject, text, html = message_render(delivery.variant or delivery.step, context)
    headers = {"Message-ID": delivery.message_id}
    if delivery.purpose == Step.Purpose.MARKETING:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(subject=subject, body=text, to=[delivery.to], headers=headers)
    message.attach_alternative(html, "text/html")
    # Read by django-anymail backends: the tracking webhooks name the delivery by this metadata.
    message.metadata = {"delivery": str(delivery.pk), "campaign": delivery.campaign.slug}
    message.tags = ["campaign", delivery.campaign.slug]
    message.track_clicks = message.track_opens = True
    return message


# --- Sending ---------------------------------------------------------------------------------------


def deliveries_send(*, delivery_ids: list[int], now: datetime) -> dict[str, int]:
    """Claim the queued rows among `delivery_ids` and send them. Runs outside any transaction, so that
    each mark is committed the moment its message has left."""
    claim = uuid.uuid4().hex
    claimed = Delivery.objects.filter(pk__in=delivery_ids, status=Status.QUEUED).update(
        status=Status.SENDING, claim=claim, claimed_at=now
    )
    outcome = {"sent": 0, "failed": 0, "skipped": 0}
    if not claimed:
        return outcome
    batch = list(
        Delivery.objects.filter(claim=claim, status=Status.SENDING)
        .select_related("customer", "campaign", "step", "variant")
        .order_by("pk")
    )
    blocked = suppressed([delivery.to for delivery in batch])
    contexts = batch_contexts(batch)
    connection = get_connection()
    with events_dispatched_together():
        try:
            connection.open()
            for delivery in batch:
                outcome[
                    _send_one(
                        delivery,
                        context=contexts[delivery.pk],
                        connection=connection,
                        blocked=blocked,
                        now=now,
                    )
                ] += 1
        finally:
            connection.close()
    return outcome


def _send_one(delivery: Delivery, *, context: dict, connection, blocked: set[str], now: datetime) -> str:
    customer = delivery.customer
    if delivery.to.lower() in blocked:
        return _finish(delivery, Status.SKIPPED, reason="The address was suppressed before sending.")
    if delivery.purpose == Step.Purpose.MARKETING and not customer.marketing_opt_in:
        return _finish(delivery, Status.SKIPPED, reason="Consent was withdrawn before sending.")
    try:
        message = delivery_message(delivery, context=context)
        message.connection = connection
        message.send()
    except Exception as exc:
        logger.exception("Campaign delivery %s failed", delivery.pk)
        return _finish(delivery, Status.FAILED, reason=f"{exc.__class__.__name__}: {exc}"[:300])
    return _mark_sent(delivery, esp_message_id=esp_message_id(message, max_length=200), now=now)


def _finish(delivery: Delivery, status: str, *, reason: str) -> str:
    Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(status=status, reason=reason)
    return "failed" if status == Status.FAILED else "skipped"


def _mark_sent(delivery: Delivery, *, esp_message_id: str, now: datetime) -> str:
    with transaction.atomic():
        marked = Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
            status=Status.SENT, sent_at=now, esp_message_id=esp_message_id
        )
        if marked:
            event_record(
                customer=delivery.customer,
                kind="message_sent",
                occurred_at=now,
                summary=f"{delivery.campaign.name}: {delivery.step.name}"[:300],
                data={
                    "campaign": delivery.campaign.slug,
                    "step": delivery.step.position,
                    "delivery": delivery.pk,
                    "variant": delivery.variant.name if delivery.variant_id else "A",
                },
                key=f"message_sent:{delivery.pk}",
            )
    return "sent"


def deliveries_due(*, now: datetime, limit: int = 5000) -> str:
    """A tick job: send queued deliveries that are due and were never handed to a task (quiet hours,
    rate limits) or whose task was lost."""
    due = list(
        Delivery.objects.filter(
            status=Status.QUEUED, due_at__lte=now, campaign__status=Campaign.Status.ACTIVE
        )
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - TASK_GRACE))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    totals = {"sent": 0, "failed": 0, "skipped": 0}
    size = settings.CARECRM["CAMPAIGN_SEND_BATCH"]
    for start in range(0, len(due), size):
        for name, count in deliveries_send(delivery_ids=due[start : start + size], now=now).items():
            totals[name] += count
    return f"{totals['sent']} campaign messages sent" + (
        f", {totals['failed']} failed" if totals["failed"] else ""
    )


def deliveries_recover(*, now: datetime) -> str:
    """A tick job: take back the batches whose worker died mid-way (see the module's docstring)."""
    lease = timedelta(minutes=settings.CARECRM["CAMPAIGN_CLAIM_LEASE_MINUTES"])
    stale = (
        Delivery.objects.filter(status=Status.SENDING, claimed_at__lt=now - lease)
        .order_by("claim", "pk")
        .values_list("claim", "pk", "message_id")
    )
    in_doubt, untried = {}, []
    for claim, pk, message_id in stale:
        if claim not in in_doubt:
            in_doubt[claim] = (pk, message_id)
        else:
            untried.append(pk)
    requeue = {"status": Status.QUEUED, "claim": "", "claimed_at": None, "enqueued_at": None}
    Delivery.objects.filter(pk__in=untried, status=Status.SENDING).update(**requeue)
    confirmed = 0
    for pk, message_id in in_doubt.values():
        if outbox_holds(message_id):
            delivery = Delivery.objects.select_related("customer", "campaign", "step", "variant").get(pk=pk)
            _mark_sent(delivery, esp_message_id="", now=now)
            confirmed += 1
        else:
            Delivery.objects.filter(pk=pk, status=Status.SENDING).update(**requeue)
    requeued = len(untried) + len(in_doubt) - confirmed
    return f"{requeued} campaign messages of stalled batches queued again, {confirmed} found sent"


def step_test_send(*, step: Step, customer: Customer | None, to: str, now: datetime) -> None:
    """A marketer's test send of what the editor holds (saved or not), rendered as for `customer`, to the
    marketer's address: nothing is recorded and no coupon is issued."""
    subject, text, html = message_render(step, preview_context(step=step, customer=customer, now=now))
    message = EmailMultiAlternatives(subject=f"[Test] {subject}", body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()
