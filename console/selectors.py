from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q

from campaigns.models import Coupon, Delivery
from customers.models import Customer, CustomerIdentity
from customers.services import normalize_phone
from lifecycle.models import Event
from orders.models import Order, OrderAlert, Shipment
from tickets.models import ChatInvitation, ChatInvitationRule, Ticket


def stage_counts() -> list[dict]:
    counts = dict(
        Customer.objects.filter(merged_into__isnull=True)
        .values_list("lifecycle_stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {"stage": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Customer.Stage.choices
    ]


def recent_events(*, limit: int = 20) -> list[Event]:
    return list(Event.objects.select_related("customer").order_by("-occurred_at", "-id")[:limit])


def open_alerts(*, limit: int = 200) -> list[OrderAlert]:
    return list(
        OrderAlert.objects.filter(resolved_at__isnull=True)
        .select_related("order__customer")
        .order_by("-urgent", "-detected_at")[:limit]
    )


def open_alert_counts() -> dict[str, int]:
    counts = OrderAlert.objects.filter(resolved_at__isnull=True).aggregate(
        total=Count("id"), urgent=Count("id", filter=Q(urgent=True))
    )
    return {"total": counts["total"], "urgent": counts["urgent"]}


# --- The customer 360 ------------------------------------------------------------------------------

TIMELINE_PAGE = 50
RECENT = 10
# The timeline's filters: each a group of event kinds, so a new kind of an existing family needs no change
# here when it follows the family's prefix.
TIMELINE_GROUPS = {
    "orders": ("order_", "payment_", "refund_", "shipment_", "return_", "coupon_"),
    "support": ("ticket_", "csat_", "chat_", "problem_"),
    "campaigns": ("message_", "unsubscribed"),
    "journey": ("registered", "stage_", "customer_", "points_", "cart_", "marketing_", "subscribed"),
}


def timeline_group_filter(group: str) -> Q:
    condition = Q(pk__in=[])
    for prefix in TIMELINE_GROUPS.get(group, ()):
        condition |= Q(kind__startswith=prefix)
    return condition


@dataclass(frozen=True)
class TimelinePage:
    events: list[Event]
    older: str  # the cursor of the next page ("" on the last one)


def timeline_page(*, customer: Customer, group: str = "", kind: str = "", before: str = "") -> TimelinePage:
    """A page of the customer's events, newest first, from the cursor `before` ("<occurred_at ISO>|<id>")
    on: a keyset over the timeline index, so the thousandth page reads as fast as the first and nothing
    counts every event."""
    events = Event.objects.filter(customer=customer)
    if group in TIMELINE_GROUPS:
        events = events.filter(timeline_group_filter(group))
    if kind:
        events = events.filter(kind=kind)
    cursor = _cursor_parse(before)
    if cursor:
        occurred_at, event_id = cursor
        events = events.filter(Q(occurred_at__lt=occurred_at) | Q(occurred_at=occurred_at, pk__lt=event_id))
    page = list(events.order_by("-occurred_at", "-id")[: TIMELINE_PAGE + 1])
    older = ""
    if len(page) > TIMELINE_PAGE:
        page = page[:TIMELINE_PAGE]
        older = f"{page[-1].occurred_at.isoformat()}|{page[-1].pk}"
    return TimelinePage(events=page, older=older)


def _cursor_parse(value: str):
    stamp, _, event_id = value.partition("|")
    if not stamp or not event_id.isdigit():
        return None
    try:
        occurred_at = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return (occurred_at, int(event_id)) if occurred_at.tzinfo else None


def timeline_kinds(customer: Customer) -> list[tuple[str, int]]:
    rows = Event.objects.filter(customer=customer).values("kind").annotate(n=Count("id")).order_by("kind")
    return [(row["kind"], row["n"]) for row in rows]


@dataclass(frozen=True)
class CustomerOverview:
    identities: list
    orders: list
    tickets: list
    deliveries: list
    coupons: list
    open_tickets: int


def customer_overview(customer: Customer, *, now: datetime) -> CustomerOverview:
    """Everything beside the timeline on the 360 page, in a fixed number of queries: the latest orders
    with their shipments, the latest tickets, campaign messages and coupons still to use."""
    return CustomerOverview(
        identities=list(customer.identities.order_by("kind", "value")),
        orders=list(
            Order.objects.filter(customer=customer)
            .prefetch_related("shipments")
            .order_by("-placed_at", "-id")[:RECENT]
        ),
        tickets=list(
            Ticket.objects.filter(customer=customer)
            .select_related("assignee")
            .order_by("-created_at")[:RECENT]
        ),
        deliveries=list(
            Delivery.objects.filter(customer=customer)
            .select_related("campaign", "step")
            .order_by("-due_at", "-id")[:RECENT]
        ),
        coupons=list(
            Coupon.objects.filter(customer=customer, redeemed_at__isnull=True, expires_at__gt=now).order_by(
                "expires_at"
            )
        ),
        open_tickets=Ticket.objects.filter(customer=customer)
        .exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
        .count(),
    )


# --- Search ----------------------------------------------------------------------------------------

SEARCH_LIMIT = 8


@dataclass(frozen=True)
class Found:
    kind: str  # customer, order, ticket
    label: str
    detail: str
    customer_id: int
    ticket_id: int | None = None


def staff_search(query: str) -> list[Found]:
    """One box for everything staff look people up by: a ticket reference, an order or tracking number,
    an email, a phone number, a store id or a name. Exact keys first (each an indexed lookup), then
    customers whose name or email starts with what was typed."""
    query = " ".join(query.split())[:200]
    if len(query) < 2:
        return []
    found: list[Found] = []
    tickets = Ticket.objects.filter(reference=query.upper()).select_related("customer")
    found += [
        Found("ticket", t.reference, t.subject, t.customer_id, ticket_id=t.pk) for t in tickets[:SEARCH_LIMIT]
    ]
    # Each key its own indexed lookup: an OR across a join would read every order.
    shipped = list(
        Shipment.objects.filter(tracking_number=query).values_list("order_id", flat=True)[:SEARCH_LIMIT]
    )
    orders = Order.objects.filter(Q(number__in={query, query.upper()}) | Q(pk__in=shipped)).select_related(
        "customer"
    )
    found += [
        Found(
            "order",
            o.number,
            f"{o.customer} · {o.get_status_display()} · {o.placed_at:%Y-%m-%d}",
            o.customer_id,
        )
        for o in orders[:SEARCH_LIMIT]
    ]
    found += [
        Found(
            "customer",
            str(c),
            " · ".join(filter(None, [c.email, c.phone, c.get_lifecycle_stage_display()])),
            c.pk,
        )
        for c in _customers_matching(query)
    ]
    return found


def _customers_matching(query: str) -> list[Customer]:
    try:
        phone = normalize_phone(query)
    except ValidationError:
        phone = ""
    # The identities' (kind, value) index, then the customers by id or store id: two index lookups.
    owners = CustomerIdentity.objects.filter(
        kind__in=CustomerIdentity.Kind.values, value__in={query.lower(), phone} - {""}
    ).values_list("customer_id", flat=True)
    keys = Q(external_id=query) | Q(pk__in=list(owners[:SEARCH_LIMIT]))
    words = query.split(" ")
    names = Q(email__istartswith=query)
    if len(words) == 1:
        names |= Q(first_name__istartswith=query) | Q(last_name__istartswith=query)
    else:
        names |= Q(first_name__istartswith=words[0], last_name__istartswith=" ".join(words[1:]))
    live = Customer.objects.filter(merged_into__isnull=True)
    exact = list(live.filter(keys)[:SEARCH_LIMIT])
    if len(exact) >= SEARCH_LIMIT:
        return exact
    more = (
        live.filter(names)
        .exclude(pk__in=[c.pk for c in exact])
        .order_by(F("last_order_at").desc(nulls_last=True), "-id")
    )
    return exact + list(more[: SEARCH_LIMIT - len(exact)])


# --- Live chat -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationResults:
    rule: ChatInvitationRule
    sent: int
    accepted: int
    declined: int
    chats: int  # chats started from one of its invitations

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted of sent, in percent: an invitation the visitor ignored counts against the rule."""
        return round(100 * self.accepted / self.sent, 1) if self.sent else None


def chat_invitation_results(*, since: datetime | None = None) -> list[InvitationResults]:
    """Every invitation rule, in the order the widget tries them, with what its invitations (sent since
    `since`, or ever) came to: one grouped query over the invitations, whatever their number."""
    sent = Q(invitations__sent_at__gte=since) if since else Q()
    answered = Q(invitations__answer=ChatInvitation.Answer.ACCEPTED)
    refused = Q(invitations__answer=ChatInvitation.Answer.DECLINED)
    rules = ChatInvitationRule.objects.annotate(
        sent=Count("invitations", filter=sent or None),
        accepted=Count("invitations", filter=sent & answered),
        declined=Count("invitations", filter=sent & refused),
        # An invitation starts at most one chat (a one-to-one), so this join multiplies nothing.
        chats=Count("invitations__chat", filter=sent or None),
    ).order_by("position", "pk")
    return [
        InvitationResults(
            rule=rule, sent=rule.sent, accepted=rule.accepted, declined=rule.declined, chats=rule.chats
        )
        for rule in rules
    ]
