"""The managers' dashboards: support, after-sales, lifecycle, live chat and campaigns. Each chart is
computed by a handful of grouped queries over the period (never a query per week or per row) and carries
its own table, which the page shows under the chart and serves as CSV."""

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from statistics import median

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Exists, F, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lower, TruncMonth, TruncWeek
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.selectors import campaign_totals
from console.selectors import chat_invitation_results
from customers.models import Customer
from lifecycle.models import Event
from orders.models import Order, Refund, Return
from tickets.models import Chat, CsatRating, Ticket

Value = int | float | Decimal | None


@dataclass
class Chart:
    name: str
    title: str
    kind: str  # bar, line or stacked (bars)
    labels: list[str]
    series: list[tuple[str, list[Value]]]
    unit: str = ""
    note: str = ""
    extra_columns: list[tuple[str, list]] = field(default_factory=list)
    label_name: str = "Week"
    # Headline figures over the whole period, as people read them ("1 min 5 s"), above the chart.
    figures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        names = [name for name, _ in self.series] + [name for name, _ in self.extra_columns]
        return [self.label_name, *names]

    @property
    def rows(self) -> list[list]:
        columns = [values for _, values in self.series] + [values for _, values in self.extra_columns]
        return [[label, *[column[i] for column in columns]] for i, label in enumerate(self.labels)]

    def data(self) -> dict:
        """What static/js/charts.js draws."""
        return {
            "kind": self.kind,
            "labels": self.labels,
            "unit": self.unit,
            "series": [{"name": name, "values": [_plain(v) for v in values]} for name, values in self.series],
        }


def _plain(value: Value):
    return float(value) if isinstance(value, Decimal) else value


def percentile(values: list[float], share: float) -> float | None:
    """The value below which `share` of `values` fall (nearest rank): p90 of response times."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def duration_text(seconds: float | None) -> str:
    """A duration as people say it: 45 s, 2 min 5 s, 1 h 20 min."""
    if seconds is None:
        return "—"
    # Halves up, as people round (Python's round() would make 80.5 minutes 80).
    seconds = math.floor(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours_, rest = divmod(math.floor(seconds / 60 + 0.5), 60)
    return f"{hours_} h {rest} min" if rest else f"{hours_} h"


def _share_text(part: int, whole: int) -> str:
    share = rate(part, whole)
    return f"{part} of {whole} ({share} %)" if share is not None else f"{part} of {whole}"


@dataclass(frozen=True)
class Period:
    """Whole weeks (Monday to Monday, in the shop's time zone) ending with the current one."""

    weeks: int
    now: datetime

    @property
    def starts(self) -> list[date]:
        monday = timezone.localdate(self.now) - timedelta(days=timezone.localdate(self.now).weekday())
        return [monday - timedelta(weeks=n) for n in range(self.weeks - 1, -1, -1)]

    @property
    def since(self) -> datetime:
        first = self.starts[0]
        return midnight(first)

    @property
    def labels(self) -> list[str]:
        return [start.isoformat() for start in self.starts]


def midnight(day: date) -> datetime:
    """The start of `day` in the shop's time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _week(value) -> str:
    """The ISO date of the week TruncWeek put a row in (a datetime on PostgreSQL and SQLite alike)."""
    return (timezone.localtime(value).date() if isinstance(value, datetime) else value).isoformat()


def _stacked_per_week(name: str, title: str, rows, date_field: str, key: str, choices, weeks) -> Chart:
    """Rows per week and per value of `key` (a TextChoices field), in one grouped query."""
    counts = defaultdict(Counter)
    for row in rows.annotate(week=TruncWeek(date_field)).values("week", key).annotate(n=Count("pk")):
        counts[row[key]][_week(row["week"])] += row["n"]
    return Chart(
        name,
        title,
        "stacked",
        weeks,
        [(label, [counts[value][w] for w in weeks]) for value, label in choices.choices],
    )


# --- Support -----------------------------------------------------------------------------------------


def support_charts(period: Period) -> list[Chart]:
    created = Ticket.objects.filter(created_at__gte=period.since)
    weeks = period.labels

    volume = _stacked_per_week(
        "volume",
        "Tickets opened per week, by channel",
        created,
        "created_at",
        "channel",
        Ticket.Channel,
        weeks,
    )

    answered = defaultdict(list)
    resolved = defaultdict(list)
    first_in_sla = Counter()
    first_due = Counter()
    resolution_in_sla = Counter()
    resolution_due = Counter()
    rows = created.annotate(week=TruncWeek("created_at")).values_list(
        "week",
        "first_response_minutes",
        "resolution_minutes",
        "first_responded_at",
        "first_response_due_at",
        "resolved_at",
        "resolution_due_at",
    )
    for week, first_minutes, resolution_minutes, responded, first_deadline, done, deadline in rows:
        week = _week(week)
        if first_minutes is not None:
            answered[week].append(first_minutes)
        if resolution_minutes is not None:
            resolved[week].append(resolution_minutes)
        if first_deadline and responded:
            first_due[week] += 1
            first_in_sla[week] += responded <= first_deadline
        if deadline and done:
            resolution_due[week] += 1
            resolution_in_sla[week] += done <= deadline
    times = Chart(
        "response_times",
        "First response and resolution (business hours)",
        "line",
        weeks,
        [
            ("First response, median", [hours(_median(answered[w])) for w in weeks]),
            ("First response, p90", [hours(percentile(answered[w], 0.9)) for w in weeks]),
            ("Resolution, median", [hours(_median(resolved[w])) for w in weeks]),
            ("Resolution, p90", [hours(percentile(resolved[w], 0.9)) for w in weeks]),
        ],
        unit="h",
        note="Business hours of the tickets' calendar, pauses while waiting on the customer excluded.",
    )
    sla = Chart(
        "sla",
        "SLA attainment",
        "line",
        weeks,
        [
            ("First response within target", [rate(first_in_sla[w], first_due[w]) for w in weeks]),
            ("Resolution within target", [rate(resolution_in_sla[w], resolution_due[w]) for w in weeks]),
        ],
        unit="%",
    )

    open_now = Ticket.objects.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
    backlog_rows = dict(open_now.values_list("priority").annotate(n=Count("pk")).order_by())
    overdue = open_now.filter(first_responded_at__isnull=True, first_response_due_at__lt=period.now).count()
    backlog = Chart(
        "backlog",
        "Open tickets now, by priority",
        "bar",
        [label for _, label in Ticket.Priority.choices],
        [("Open", [backlog_rows.get(value, 0) for value, _ in Ticket.Priority.choices])],
        note=f"{overdue} waiting for a first answer past their target.",
        label_name="Priority",
    )

    categories = dict(created.values_list("category").annotate(n=Count("pk")).order_by())
    category_chart = Chart(
        "categories",
        "Tickets per category",
        "bar",
        [label for _, label in Ticket.Category.choices],
        [("Tickets", [categories.get(value, 0) for value, _ in Ticket.Category.choices])],
        label_name="Category",
    )

    ratings = (
        CsatRating.objects.filter(created_at__gte=period.since)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("pk"), happy=Count("pk", filter=Q(rating__gte=4)), average=Avg("rating"))
    )
    by_week = {_week(row["week"]): row for row in ratings}
    csat = Chart(
        "csat",
        "Customer satisfaction",
        "line",
        weeks,
        [
            (
                "Satisfied (4 or 5 of 5)",
                [rate(by_week[w]["happy"], by_week[w]["n"]) if w in by_week else None for w in weeks],
            )
        ],
        unit="%",
        extra_columns=[("Ratings", [by_week[w]["n"] if w in by_week else 0 for w in weeks])],
    )
    return [volume, times, sla, backlog, category_chart, csat, _agents_chart(created)]


def _agents_chart(created) -> Chart:
    rows = created.filter(assignee__isnull=False).values_list(
        "assignee_id", "status", "first_response_minutes", "csat__rating"
    )
    solved = Counter()
    minutes = defaultdict(list)
    scores = defaultdict(list)
    for agent_id, status, first_minutes, rating in rows:
        solved[agent_id] += status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        if first_minutes is not None:
            minutes[agent_id].append(first_minutes)
        if rating is not None:
            scores[agent_id].append(rating)
    agents = dict.fromkeys(solved, "")
    agents.update(
        dict(get_user_model().objects.filter(pk__in=list(agents)).values_list("pk", "username").order_by())
    )
    ordered = sorted(agents, key=lambda pk: (-solved[pk], agents[pk]))
    return Chart(
        "agents",
        "Per agent",
        "bar",
        [agents[pk] for pk in ordered],
        [("Resolved", [solved[pk] for pk in ordered])],
        extra_columns=[
            ("First response, median (h)", [hours(_median(minutes[pk])) for pk in ordered]),
            (
                "CSAT average",
                [round(sum(scores[pk]) / len(scores[pk]), 2) if scores[pk] else None for pk in ordered],
            ),
        ],
        label_name="Agent",
    )


def _median(values: list[float]) -> float | None:
    return median(values) if values else None


def hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 1)


# --- After-sales -------------------------------------------------------------------------------------


def after_sales_charts(period: Period) -> list[Chart]:
    weeks = period.labels
    delivered = (
        Order.objects.filter(delivered_at__gte=period.since, promised_delivery_date__isnull=False)
        .annotate(week=TruncWeek("delivered_at"))
        .values_list("week", "delivered_at", "promised_delivery_date")
    )
    on_time = Counter()
    total = Counter()
    for week, delivered_at, promised in delivered:
        week = _week(week)
        total[week] += 1
        on_time[week] += timezone.localdate(delivered_at) <= promised
    late_open = Order.objects.filter(
        delivered_at__isnull=True,
        cancelled_at__isnull=True,
        promised_delivery_date__lt=timezone.localdate(period.now),
    ).count()
    delivery = Chart(
        "on_time",
        "On-time delivery",
        "line",
        weeks,
        [("Delivered by the promised date", [rate(on_time[w], total[w]) for w in weeks])],
        unit="%",
        note=f"{late_open} open orders are past their promised date now.",
        extra_columns=[
            ("Delivered", [total[w] for w in weeks]),
            ("Late", [total[w] - on_time[w] for w in weeks]),
        ],
    )

    returns = Return.objects.filter(requested_at__gte=period.since)
    returns_chart = _stacked_per_week(
        "returns", "Returns requested per week", returns, "requested_at", "kind", Return.Kind, weeks
    )
    reasons = (
        returns.annotate(reason_key=Lower("reason"))
        .values("reason_key")
        .annotate(n=Count("pk"))
        .order_by("-n")[:10]
    )
    reasons_chart = Chart(
        "return_reasons",
        "Most given return reasons",
        "bar",
        [row["reason_key"][:60] for row in reasons],
        [("Returns", [row["n"] for row in reasons])],
        label_name="Reason",
    )

    refunds = (
        Refund.objects.filter(completed_at__gte=period.since)
        .annotate(week=TruncWeek("completed_at"))
        .values_list("week", "requested_at", "completed_at")
    )
    turnaround = defaultdict(list)
    for week, requested_at, completed_at in refunds:
        turnaround[_week(week)].append((completed_at - requested_at).total_seconds() / 3600)
    refund_chart = Chart(
        "refund_turnaround",
        "Refund turnaround (hours from request to money back)",
        "line",
        weeks,
        [
            ("Median", [_round(_median(turnaround[w])) for w in weeks]),
            ("p90", [_round(percentile(turnaround[w], 0.9)) for w in weeks]),
        ],
        unit="h",
        extra_columns=[("Refunds", [len(turnaround[w]) for w in weeks])],
    )
    return [delivery, returns_chart, reasons_chart, refund_chart]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- Lifecycle ---------------------------------------------------------------------------------------


def lifecycle_charts(period: Period, *, months: int = 12) -> list[Chart]:
    today = timezone.localdate(period.now)
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    since = midnight(first)
    month_labels = []
    cursor = first
    while cursor <= today:
        month_labels.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)

    stages = dict(
        Customer.objects.filter(merged_into__isnull=True)
        .values_list("lifecycle_stage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    stage_chart = Chart(
        "stages",
        "Customers per stage now",
        "bar",
        [label for _, label in Customer.Stage.choices],
        [("Customers", [stages.get(value, 0) for value, _ in Customer.Stage.choices])],
        label_name="Stage",
    )

    moves = (
        Event.objects.filter(kind="stage_changed", occurred_at__gte=since)
        .annotate(month=TruncMonth("occurred_at"), to_stage=KeyTextTransform("to", "data"))
        .values("month", "to_stage")
        .annotate(n=Count("pk"))
    )
    into = defaultdict(Counter)
    for row in moves:
        into[row["to_stage"]][_month(row["month"])] += row["n"]
    flows = Chart(
        "flows",
        "Moves into each stage per month",
        "stacked",
        month_labels,
        [(label, [into[value][m] for m in month_labels]) for value, label in Customer.Stage.choices],
        note="Dormancy: the moves into Dormant and Lost; reactivation: Dormant or Lost back to Active.",
        label_name="Month",
    )

    orders = (
        Order.objects.filter(placed_at__gte=since)
        .exclude(status=Order.Status.CANCELLED)
        .annotate(month=TruncMonth("placed_at"))
        .values("month")
        .annotate(
            n=Count("pk"),
            first=Count("pk", filter=Q(customer__first_order_at=F("placed_at"))),
        )
    )
    per_month = {_month(row["month"]): row for row in orders}
    buyers = Customer.objects.filter(merged_into__isnull=True, orders_count__gte=1).aggregate(
        all=Count("pk"), repeat=Count("pk", filter=Q(orders_count__gte=2))
    )
    repeat = Chart(
        "orders",
        "Orders per month: first orders and repeat orders",
        "stacked",
        month_labels,
        [
            ("First orders", [per_month[m]["first"] if m in per_month else 0 for m in month_labels]),
            (
                "Repeat orders",
                [per_month[m]["n"] - per_month[m]["first"] if m in per_month else 0 for m in month_labels],
            ),
        ],
        note=f"Repeat-purchase rate: {rate(buyers['repeat'], buyers['all']) or 0} % of customers who bought "
        f"have bought again ({buyers['repeat']} of {buyers['all']}).",
        label_name="Month",
    )
    return [stage_chart, flows, repeat]


def _month(value) -> str:
    return (timezone.localtime(value).date() if isinstance(value, datetime) else value).strftime("%Y-%m")


# --- Live chat ---------------------------------------------------------------------------------------

# A chat converted when its customer placed an order (not cancelled) this long after it started.
CHAT_CONVERSION_WINDOW = timedelta(days=5)


def chat_charts(period: Period) -> list[Chart]:
    """Chats started in the period: how many were answered or missed, how long customers waited for an
    agent, each agent's share, the orders that followed, and what the proactive invitations came to.
    Three queries: the counts per week (conversion included, as an EXISTS per chat), the answered chats'
    times with their agent and rating, and the invitations per rule."""
    weeks = period.labels
    chats = Chat.objects.filter(started_at__gte=period.since)
    # One index probe per chat (order_customer_idx: customer, placed_at), inside the grouped count.
    ordered_after = Order.objects.filter(
        customer=OuterRef("ticket__customer"),
        placed_at__gte=OuterRef("started_at"),
        placed_at__lte=OuterRef("started_at") + CHAT_CONVERSION_WINDOW,
    ).exclude(status=Order.Status.CANCELLED)
    counts = (
        chats.annotate(week=TruncWeek("started_at"))
        .values("week")
        .annotate(
            started=Count("pk"),
            answered=Count("pk", filter=Q(accepted_at__isnull=False)),
            missed=Count("pk", filter=Q(status=Chat.Status.MISSED)),
            waiting=Count("pk", filter=Q(status=Chat.Status.WAITING)),
            converted=Count("pk", filter=Q(Exists(ordered_after))),
        )
        .order_by()
    )
    per_week = defaultdict(Counter)
    for row in counts:
        per_week[_week(row.pop("week"))].update(row)
    total = sum(per_week.values(), Counter())

    answered = list(
        chats.filter(accepted_at__isnull=False)
        .annotate(week=TruncWeek("started_at"))
        .values_list(
            "week",
            "started_at",
            "accepted_at",
            "ended_at",
            "agent_id",
            "agent__username",
            "ticket__first_responded_at",
            "ticket__csat__rating",
        )
    )
    return [
        _chat_volume_chart(per_week, total, weeks),
        _chat_wait_chart(answered, weeks),
        _chat_agents_chart(answered),
        _chat_conversion_chart(per_week, total, weeks),
        _chat_invitations_chart(period),
    ]


def _chat_volume_chart(per_week, total: Counter, weeks: list[str]) -> Chart:
    decided = total["answered"] + total["missed"]
    return Chart(
        "chats",
        "Chats per week: answered and missed",
        "stacked",
        weeks,
        [
            ("Answered", [per_week[w]["answered"] for w in weeks]),
            ("Missed", [per_week[w]["missed"] for w in weeks]),
            ("Waiting now", [per_week[w]["waiting"] for w in weeks]),
        ],
        extra_columns=[
            ("Started", [per_week[w]["started"] for w in weeks]),
            (
                "Missed share (%)",
                [rate(per_week[w]["missed"], per_week[w]["answered"] + per_week[w]["missed"]) for w in weeks],
            ),
        ],
        figures=[
            ("Started", str(total["started"])),
            ("Answered by an agent", str(total["answered"])),
            ("Missed", _share_text(total["missed"], decided)),
        ],
        note="Missed: nobody accepted the chat in time, or the customer left first; it was answered by "
        "email. The missed share counts the chats answered or missed, not those still waiting.",
    )


def _chat_wait_chart(answered: list[tuple], weeks: list[str]) -> Chart:
    waits = defaultdict(list)
    for week, started_at, accepted_at, *_ in answered:
        waits[_week(week)].append((accepted_at - started_at).total_seconds())
    every = [seconds for week_waits in waits.values() for seconds in week_waits]
    return Chart(
        "chat_wait",
        "Waiting for an agent (seconds from the first message to an agent accepting)",
        "line",
        weeks,
        [
            ("Average", [_whole(_mean(waits[w])) for w in weeks]),
            ("p90", [_whole(percentile(waits[w], 0.9)) for w in weeks]),
        ],
        unit="s",
        extra_columns=[("Answered chats", [len(waits[w]) for w in weeks])],
        figures=[
            ("Average wait", duration_text(_mean(every))),
            ("90 % waited at most", duration_text(percentile(every, 0.9))),
        ],
        note="Answered chats only; a missed chat's wait has no end.",
    )


def _chat_agents_chart(answered: list[tuple]) -> Chart:
    accepted = Counter()
    names = {}
    first_replies = defaultdict(list)
    handling = defaultdict(list)
    scores = defaultdict(list)
    for _, _, accepted_at, ended_at, agent_id, username, first_responded_at, rating in answered:
        accepted[agent_id] += 1
        names[agent_id] = username or "(deleted account)"
        if first_responded_at is not None and first_responded_at >= accepted_at:
            first_replies[agent_id].append((first_responded_at - accepted_at).total_seconds())
        if ended_at is not None:
            handling[agent_id].append((ended_at - accepted_at).total_seconds() / 60)
        if rating is not None:
            scores[agent_id].append(rating)
    ordered = sorted(accepted, key=lambda pk: (-accepted[pk], names[pk]))
    return Chart(
        "chat_agents",
        "Chats per agent",
        "bar",
        [names[pk] for pk in ordered],
        [("Chats accepted", [accepted[pk] for pk in ordered])],
        extra_columns=[
            (
                "First reply after accepting, average (s)",
                [_whole(_mean(first_replies[pk])) for pk in ordered],
            ),
            ("Handling time, average (min)", [_round(_mean(handling[pk])) for pk in ordered]),
            ("CSAT average", [_round2(_mean(scores[pk])) for pk in ordered]),
            ("Ratings", [len(scores[pk]) for pk in ordered]),
        ],
        note="The agent holding each chat (after a transfer, the colleague who took it over). Handling "
        "time runs from accepting to the end of the chat; CSAT is the rating the customer gave the chat.",
        label_name="Agent",
    )


def _chat_conversion_chart(per_week, total: Counter, weeks: list[str]) -> Chart:
    days = CHAT_CONVERSION_WINDOW.days
    return Chart(
        "chat_conversion",
        f"Chats followed by an order within {days} days",
        "line",
        weeks,
        [
            (
                "Chats followed by an order",
                [rate(per_week[w]["converted"], per_week[w]["started"]) for w in weeks],
            )
        ],
        unit="%",
        extra_columns=[
            ("Chats", [per_week[w]["started"] for w in weeks]),
            ("Followed by an order", [per_week[w]["converted"] for w in weeks]),
        ],
        figures=[("Followed by an order", _share_text(total["converted"], total["started"]))],
        note=f"The chat's customer placed an order, not since cancelled, within {days} days of the chat "
        f"starting. Chats of the last {days} days may still convert.",
    )


def _chat_invitations_chart(period: Period) -> Chart:
    # Inactive rules only while they still have invitations in the period to account for.
    results = [r for r in chat_invitation_results(since=period.since) if r.sent or r.rule.is_active]
    sent = sum(r.sent for r in results)
    accepted = sum(r.accepted for r in results)
    return Chart(
        "chat_invitations",
        "Proactive invitations per rule",
        "bar",
        [r.rule.name for r in results],
        [
            ("Sent", [r.sent for r in results]),
            ("Accepted", [r.accepted for r in results]),
            ("Declined", [r.declined for r in results]),
        ],
        extra_columns=[
            ("Acceptance rate (%)", [r.acceptance_rate for r in results]),
            ("Chats started", [r.chats for r in results]),
        ],
        figures=[
            ("Invitations sent", str(sent)),
            ("Accepted", _share_text(accepted, sent)),
            ("Declined", str(sum(r.declined for r in results))),
        ],
        note="Acceptance rate: accepted of sent; an invitation the visitor let pass counts as not accepted.",
        label_name="Rule",
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _whole(value: float | None) -> int | None:
    return None if value is None else round(value)


def _round2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- Campaigns ---------------------------------------------------------------------------------------


def campaign_charts(period: Period) -> list[Chart]:
    campaigns = list(Campaign.objects.exclude(status=Campaign.Status.DRAFT).order_by("name"))
    totals = campaign_totals([c.pk for c in campaigns])
    names = [c.name for c in campaigns]

    def points(value: float | None) -> float | None:
        return None if value is None else round(100 * value, 1)

    return [
        Chart(
            "campaign_rates",
            "Click-through and conversion rate per campaign",
            "bar",
            names,
            [
                ("Click-through", [points(totals[c.pk].click_rate) for c in campaigns]),
                ("Conversion", [points(totals[c.pk].conversion_rate) for c in campaigns]),
                ("Uplift over holdout (points)", [points(totals[c.pk].uplift) for c in campaigns]),
            ],
            unit="%",
            note="Uplift compares the conversion rate with the campaign's holdout, which received nothing.",
            extra_columns=[("Sent", [totals[c.pk].sent for c in campaigns])],
            label_name="Campaign",
        ),
        Chart(
            "campaign_revenue",
            f"Revenue of orders attributed to each campaign ({settings.CARECRM['CURRENCY']})",
            "bar",
            names,
            [("Revenue", [totals[c.pk].revenue for c in campaigns])],
            extra_columns=[("Conversions", [totals[c.pk].conversions for c in campaigns])],
            label_name="Campaign",
        ),
    ]


DASHBOARDS: dict[str, tuple[str, Callable[[Period], list[Chart]]]] = {
    "support": ("Support", support_charts),
    "after-sales": ("After-sales", after_sales_charts),
    "lifecycle": ("Lifecycle", lifecycle_charts),
    "chat": ("Chat", chat_charts),
    "campaigns": ("Campaigns", campaign_charts),
}
