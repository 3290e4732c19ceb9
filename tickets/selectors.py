"""Reading tickets for the agent inbox and the ticket page. Every list here costs the same few queries
whatever the number of tickets and messages."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet

from orders.models import Order, Shipment
from tickets.models import UNRESOLVED_STATUSES, Message, Ticket, priority_rank
from tickets.sla import WARN_BEFORE

Status = Ticket.Status
UNRESOLVED = UNRESOLVED_STATUSES
VIEWS = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "urgent": "Urgent",
    "breaching": "Breaching",
    "all": "All open",
}


def _view_filter(view: str, *, user, now: datetime) -> Q:
    unresolved = Q(status__in=UNRESOLVED)
    return {
        "mine": unresolved & Q(assignee=user),
        "unassigned": unresolved & Q(assignee__isnull=True),
        "urgent": unresolved & Q(priority=Ticket.Priority.URGENT),
        "breaching": unresolved
        & Q(sla_paused_at__isnull=True)
        & (
            Q(first_responded_at__isnull=True, first_response_due_at__lte=now + WARN_BEFORE)
            | Q(resolution_due_at__lte=now + WARN_BEFORE)
        ),
        "all": unresolved,
    }[view]


def view_counts(*, user, now: datetime) -> dict[str, int]:
    """How many tickets each view holds, in one query."""
    return Ticket.objects.filter(status__in=UNRESOLVED).aggregate(
        **{view: Count("pk", filter=_view_filter(view, user=user, now=now)) for view in VIEWS}
    )


def inbox(
    *,
    view: str,
    user,
    now: datetime,
    status: str = "",
    channel: str = "",
    team: int | None = None,
    query: str = "",
) -> QuerySet[Ticket]:
    """The tickets of a view, urgent first, then the nearest due time, then the oldest."""
    tickets = Ticket.objects.filter(_view_filter(view, user=user, now=now))
    if status in Status.values:
        tickets = tickets.filter(status=status)
    if channel in Ticket.Channel.values:
        tickets = tickets.filter(channel=channel)
    if team:
        tickets = tickets.filter(team_id=team)
    if query:
        tickets = tickets.filter(
            Q(reference__iexact=query)
            | Q(subject__icontains=query)
            | Q(customer__email__iexact=query.lower())
        )
    return (
        tickets.select_related("customer", "assignee", "team")
        .annotate(rank=priority_rank())
        .order_by("rank", F("first_response_due_at").asc(nulls_last=True), "created_at", "pk")
    )


@dataclass
class TicketPage:
    ticket: Ticket
    messages: list[Message]
    orders: list[Order]
    other_tickets: list[Ticket]


def ticket_page(ticket_id: int) -> TicketPage | None:
    ticket = (
        Ticket.objects.select_related("customer", "order", "assignee", "team", "follow_up_of")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return None
    messages = list(
        ticket.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "pk")
    )
    orders = list(
        Order.objects.filter(customer_id=ticket.customer_id)
        .order_by("-placed_at", "-pk")
        .prefetch_related(Prefetch("shipments", queryset=Shipment.objects.order_by("pk")))[:5]
    )
    other_tickets = list(
        Ticket.objects.filter(customer_id=ticket.customer_id, status__in=UNRESOLVED)
        .exclude(pk=ticket.pk)
        .order_by("-created_at")[:5]
    )
    return TicketPage(ticket=ticket, messages=messages, orders=orders, other_tickets=other_tickets)
