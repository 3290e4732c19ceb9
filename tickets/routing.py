"""Where a new ticket goes: its category from what the customer wrote, urgent when it is about money
the customer is owed or was charged wrongly, then the shop's own rules (priority, team, tags), then a
team by category and an available agent of that team, round robin or least loaded."""

import re

from django.db import transaction
from django.db.models import Count

from orders.models import OrderAlert
from tickets.models import Rule, Team, TeamMember, Ticket

Category = Ticket.Category
Priority = Ticket.Priority

# Phrases, lower-case, matched on word boundaries. The first category with the most hits wins.
CATEGORY_PHRASES: dict[str, tuple[str, ...]] = {
    Category.PAYMENT: (
        "charged",
        "charge",
        "payment",
        "paid",
        "pay",
        "refund",
        "refunded",
        "invoice",
        "card",
        "discount",
        "coupon",
        "voucher",
        "code",
        "price",
    ),
    Category.RETURN: ("return", "returns", "returning", "exchange", "send back", "send it back", "label"),
    Category.SHIPPING: (
        "parcel",
        "package",
        "delivery",
        "delivered",
        "deliver",
        "shipping",
        "shipped",
        "tracking",
        "courier",
        "late",
        "address",
        "where is my order",
    ),
    Category.ITEM: (
        "damaged",
        "broken",
        "defective",
        "faulty",
        "wrong item",
        "missing item",
        "size",
        "scratched",
    ),
    Category.ACCOUNT: (
        "password",
        "account",
        "login",
        "log in",
        "sign in",
        "unsubscribe",
        "newsletter",
        "my data",
    ),
}
# Money the customer was charged wrongly or is owed: urgent, at the head of the queue.
PAYMENT_PROBLEMS = (
    r"charged (me )?twice",
    r"double (charge|charged|payment)",
    r"charged two times",
    r"paid twice",
    r"refund (was )?(not|never) (received|arrived|come)",
    r"(haven't|have not|didn't|did not|still not|never) (received|got|get) (my |the |a )?refund",
    r"where is my refund",
    r"no refund",
    r"discount (was )?not applied",
    r"(code|coupon|voucher) (was )?(not applied|didn't work|did not work|not working)",
)
_PAYMENT_PROBLEM = re.compile("|".join(rf"\b{pattern}\b" for pattern in PAYMENT_PROBLEMS), re.IGNORECASE)
_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"\b{re.escape(phrase)}\b", text) is not None


def category_guess(text: str) -> str:
    lowered = text.lower()
    best, best_hits = Category.OTHER, 0
    for category, phrases in CATEGORY_PHRASES.items():
        hits = sum(1 for phrase in phrases if _has(lowered, phrase))
        if hits > best_hits:
            best, best_hits = category, hits
    return best


def is_payment_problem(text: str) -> bool:
    return _PAYMENT_PROBLEM.search(text) is not None


def order_has_payment_problem(ticket: Ticket) -> bool:
    return (
        ticket.order_id is not None
        and OrderAlert.objects.filter(
            order_id=ticket.order_id, kind__in=OrderAlert.URGENT, resolved_at__isnull=True
        ).exists()
    )


def ticket_route(*, ticket: Ticket, text: str) -> None:
    """Set category, priority, tags, team and assignee on a new ticket (not saved: the caller saves)."""
    words = f"{ticket.subject}\n{text}"
    ticket.category = category_guess(words)
    payment_problem = order_has_payment_problem(ticket)
    if payment_problem or is_payment_problem(words):
        ticket.category, ticket.priority = Category.PAYMENT, Priority.URGENT
        ticket.tags = [*ticket.tags, "payment-problem"]
    for rule in Rule.objects.filter(is_active=True).select_related("set_team"):
        if _matches(rule, ticket=ticket, text=words.lower(), payment_problem=payment_problem):
            if rule.set_priority and _PRIORITY_RANK[rule.set_priority] >= _PRIORITY_RANK.get(
                ticket.priority, 0
            ):
                ticket.priority = rule.set_priority
            if rule.set_team_id:
                ticket.team = rule.set_team
            ticket.tags = list(dict.fromkeys([*ticket.tags, *rule.add_tags]))
    if ticket.team_id is None:
        ticket.team = next(
            (team for team in Team.objects.order_by("pk") if ticket.category in team.categories), None
        )
    if ticket.team_id is not None:
        ticket.assignee_id = agent_pick(team=ticket.team)


def _matches(rule: Rule, *, ticket: Ticket, text: str, payment_problem: bool) -> bool:
    customer = ticket.customer
    return (
        (not rule.channels or ticket.channel in rule.channels)
        and (not rule.categories or ticket.category in rule.categories)
        and (not rule.keywords or any(_has(text, keyword.lower()) for keyword in rule.keywords))
        and (not rule.customer_stages or customer.lifecycle_stage in rule.customer_stages)
        and (rule.customer_min_spent is None or customer.total_spent >= rule.customer_min_spent)
        and (not rule.order_payment_problem or payment_problem)
    )


def agent_pick(*, team: Team) -> int | None:
    """An available member of the team: the next after the last one (round robin), or the one with the
    fewest unresolved tickets (least loaded). None when nobody is available: the ticket waits unassigned."""
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        members = list(
            TeamMember.objects.filter(team=locked, is_available=True, user__is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        if not members:
            return None
        if locked.assignment == Team.Assignment.LEAST_LOADED:
            open_statuses = (
                Ticket.Status.NEW,
                Ticket.Status.OPEN,
                Ticket.Status.PENDING,
                Ticket.Status.ON_HOLD,
            )
            loads = dict(
                Ticket.objects.filter(assignee_id__in=members, status__in=open_statuses)
                .values("assignee_id")
                .annotate(load=Count("pk"))
                .values_list("assignee_id", "load")
            )
            chosen = min(members, key=lambda user_id: (loads.get(user_id, 0), user_id))
        else:
            later = [
                user_id
                for user_id in members
                if locked.last_assigned_id is None or user_id > locked.last_assigned_id
            ]
            chosen = later[0] if later else members[0]
        Team.objects.filter(pk=locked.pk).update(last_assigned_id=chosen)
    return chosen
