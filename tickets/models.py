from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When

from customers.models import Customer
from orders.models import Order
from tickets.calendar import parse_weekly

# Tickets still to be worked on; the inbox's views and their index cover these.
UNRESOLVED_STATUSES = ("new", "open", "pending", "on_hold")


def priority_rank():
    """Urgent 0, high 1, normal 2, low 3: the inbox's first sort key (an expression its index holds)."""
    return Case(
        When(priority="urgent", then=Value(0)),
        When(priority="high", then=Value(1)),
        When(priority="normal", then=Value(2)),
        default=Value(3),
        output_field=models.IntegerField(),
    )


def default_weekly_hours() -> dict:
    return {str(day): [["09:00", "17:00"]] for day in range(5)}


class BusinessCalendar(models.Model):
    """Opening hours in a time zone, and the days the team is off: what SLA clocks count."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA name, such as Europe/Berlin.")
    # {"0": [["09:00", "17:00"]], ...}: Monday=0 .. Sunday=6, one or more spans a day.
    weekly_hours = models.JSONField(default=default_weekly_hours)

    def __str__(self):
        return self.name

    def clean(self):
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValidationError({"time_zone": f"{self.time_zone} is not a known time zone."}) from error
        try:
            weekly = parse_weekly(self.weekly_hours)
        except (TypeError, ValueError) as error:
            raise ValidationError(
                {"weekly_hours": f'Write hours as {{"0": [["09:00", "17:00"]]}} (0 is Monday): {error}'}
            ) from error
        if not any(weekly.values()):
            raise ValidationError({"weekly_hours": "A calendar needs opening hours on at least one day."})


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    day = models.DateField()
    name = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="ticket_holiday_one_per_day")]

    def __str__(self):
        return f"{self.day} {self.name}"


class SlaPolicy(models.Model):
    """Targets per priority, in business minutes of its calendar."""

    priority = models.CharField(max_length=10, unique=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies")
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self):
        return f"{self.priority}: first response {self.first_response_minutes} min"


class Team(models.Model):
    class Assignment(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round robin"
        LEAST_LOADED = "least_loaded", "Least loaded"

    name = models.CharField(max_length=100, unique=True)
    # Ticket categories this team takes by default.
    categories = models.JSONField(default=list, blank=True)
    assignment = models.CharField(max_length=20, choices=Assignment.choices, default=Assignment.ROUND_ROBIN)
    # Round robin: whom the last ticket went to.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    is_available = models.BooleanField(default=True, help_text="Takes new tickets (off when away).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="ticket_team_member_once")]

    def __str__(self):
        return f"{self.user} in {self.team}"


class Ticket(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEB = "web", "Web form"
        CHAT = "chat", "Chat"
        PHONE = "phone", "Phone"
        API = "api", "API"

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING = "pending", "Pending on the customer"
        ON_HOLD = "on_hold", "On hold"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Category(models.TextChoices):
        PAYMENT = "payment", "Payment"
        SHIPPING = "shipping", "Shipping"
        ITEM = "item", "Item"
        RETURN = "return", "Return"
        ACCOUNT = "account", "Account"
        OTHER = "other", "Other"

    # CR-000123: what the customer quotes. Set from the id in the transaction that creates the ticket, so
    # null (not "", which the unique constraint would allow once) for the moment between.
    reference = models.CharField(max_length=20, unique=True, null=True, editable=False)  # noqa: DJ001
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.OTHER)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # A reply to a ticket resolved long ago opens a new ticket that points back to it.
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # While the ticket waits on the customer its SLA clocks stand still; this says since when.
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # For reporting: business minutes to the first answer and to resolution, pauses excluded.
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The customer's own requests and the customer view: a customer's tickets, newest first.
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_created"),
            # The inbox: open tickets in the order it shows them (urgent first, nearest due, oldest).
            models.Index(
                priority_rank(),
                # Ascending puts nulls last on PostgreSQL, as the inbox asks.
                F("first_response_due_at"),
                F("created_at"),
                F("id"),
                condition=Q(status__in=UNRESOLVED_STATUSES),
                name="ticket_inbox_order",
            ),
            # The SLA check: unanswered tickets by first-response due time.
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_responded_at__isnull=True, sla_paused_at__isnull=True),
                name="ticket_first_response_open",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"


class Rule(models.Model):
    """When every condition that is set holds for a new ticket, the actions apply. Rules run in
    position order; a later rule's priority or team wins."""

    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Conditions: empty means "any".
    channels = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True, help_text="Ticket categories, such as payment.")
    keywords = models.JSONField(default=list, blank=True, help_text="Any of these in the subject or text.")
    customer_stages = models.JSONField(default=list, blank=True)
    customer_min_spent = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    order_payment_problem = models.BooleanField(
        default=False, help_text="Only when the linked order has an open payment alert."
    )
    # Actions.
    set_priority = models.CharField(max_length=10, choices=Ticket.Priority.choices, blank=True, default="")
    set_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    add_tags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name


class Macro(models.Model):
    """A canned reply. Placeholders: {{ customer_name }}, {{ ticket_reference }}, {{ order_number }},
    {{ tracking_link }}, {{ agent_name }}; anything else in braces is left as written."""

    name = models.CharField(max_length=100, unique=True)
    text = models.TextField()
    # Applied with the reply: the status to move the ticket to ("" keeps the agent's choice).
    set_status = models.CharField(max_length=10, choices=Ticket.Status.choices, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", "From the customer"
        OUTBOUND = "outbound", "To the customer"
        NOTE = "note", "Internal note"

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        AUTO_REPLY = "auto_reply", "Automatic acknowledgement"
        CSAT_REQUEST = "csat_request", "Satisfaction survey"

    class Delivery(models.TextChoices):
        """Outbound email only: recorded pending, claimed once (sending), then sent or failed."""

        NONE = "", "—"
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MESSAGE)
    channel = models.CharField(max_length=10, choices=Ticket.Channel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_address = models.CharField(max_length=254, blank=True, default="")
    to_address = models.CharField(max_length=254, blank=True, default="")
    subject = models.CharField(max_length=300, blank=True, default="")
    text = models.TextField()
    # The customer's HTML, sanitised on arrival (tickets.mime.html_sanitise); empty for plain text.
    html = models.TextField(blank=True, default="")
    # RFC 5322 Message-ID without brackets (null for a note or a call): ours for outbound mail, the
    # sender's for inbound. The same inbound message delivered twice finds its row here, adding nothing.
    message_id = models.CharField(max_length=900, unique=True, null=True, blank=True)
    created_at = models.DateTimeField()
    delivery = models.CharField(max_length=10, choices=Delivery.choices, blank=True, default="")
    delivery_error = models.TextField(blank=True, default="")
    esp_message_id = models.CharField(max_length=200, blank=True, default="")
    # When a sender claimed it (pending → sending): a claim past its lease lost its sender.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Chat: the sender's own id for the message, so one resent after a dropped connection is kept once.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "client_id"],
                condition=Q(client_id__isnull=False),
                name="ticket_message_client_id_once",
            ),
        ]
        indexes = [
            # The send sweep: outbound emails still pending.
            models.Index(
                fields=["created_at"], condition=Q(delivery="pending"), name="ticket_message_pending"
            ),
            # The recovery job: emails claimed and never marked sent or failed.
            models.Index(
                fields=["claimed_at"], condition=Q(delivery="sending"), name="ticket_message_sending"
            ),
            # The auto-reply limit: recent auto-replies to one address.
            models.Index(fields=["to_address", "created_at"], name="ticket_message_to_created"),
        ]

    def __str__(self):
        return (
            f"{self.get_direction_display()} on ticket {self.ticket_id} at {self.created_at:%Y-%m-%d %H:%M}"
        )


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="tickets/%Y/%m/")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()

    def __str__(self):
        return self.filename


class SlaAlert(models.Model):
    """A ticket near or past one of its SLA targets: recorded once per ticket, target and stage."""

    class Target(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        RESOLUTION = "resolution", "Resolution"

    class Stage(models.TextChoices):
        WARNING = "warning", "Due soon"
        BREACHED = "breached", "Breached"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alerts")
    target = models.CharField(max_length=20, choices=Target.choices)
    stage = models.CharField(max_length=10, choices=Stage.choices)
    due_at = models.DateTimeField()
    raised_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "stage"], name="ticket_sla_alert_once"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.target} {self.stage}"


class CsatRating(models.Model):
    """How the customer rated the help on a resolved ticket, 1 (bad) to 5 (great); rating again
    changes it."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="csat")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "CSAT rating"
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="ticket_csat_rating_1_to_5"
            ),
        ]

    def __str__(self):
        return f"{self.rating}/5 on {self.ticket_id}"


class SignInLink(models.Model):
    """A link that signs a customer in to /requests/: random, kept only as its hash, for one purpose,
    usable once and for ten minutes (OWASP ASVS 5.0, 6.5)."""

    class Purpose(models.TextChoices):
        REQUESTS = "requests", "Follow my requests"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="signin_links")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, hex.")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.purpose} link of customer {self.customer_id}"


# --- Live chat ---------------------------------------------------------------------------------------


class Chat(models.Model):
    """A live chat from the widget: the real-time side of a `chat` ticket, whose messages are the
    transcript. Waiting in the queue until an agent accepts it, active until either side ends it; one
    nobody accepted in time is missed and stays an open ticket, answered by email."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for an agent"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        MISSED = "missed", "Missed"

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="chat")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="chats"
    )
    # SHA-256 of the secret the widget holds for this chat: the only thing that lets it read the chat again.
    visitor_key_hash = models.CharField(max_length=64, db_index=True)
    # The store vouched for the customer with a signed token; otherwise they only typed an email address.
    identified = models.BooleanField(default=False)
    page_url = models.CharField(max_length=500, blank=True, default="")
    invitation = models.OneToOneField(
        "ChatInvitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="chat"
    )
    started_at = models.DateTimeField()
    # A waiting chat nobody accepted by then is missed (the tick job claims it).
    answer_due_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The last message each side has seen, for read receipts.
    customer_read_id = models.BigIntegerField(default=0)
    agent_read_id = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            # The queue, oldest first; and the missed-chat job, by due time.
            models.Index(fields=["started_at"], condition=Q(status="waiting"), name="chat_waiting_started"),
            models.Index(fields=["answer_due_at"], condition=Q(status="waiting"), name="chat_waiting_due"),
            # An agent's open chats (the concurrency cap and their list).
            models.Index(fields=["agent"], condition=Q(status="active"), name="chat_active_agent"),
        ]

    def __str__(self):
        return f"Chat {self.pk} ({self.status})"


class ChatPresence(models.Model):
    """An agent's chat availability. Online means a console socket checked in lately; available means
    they take new chats, up to their limit."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        AWAY = "away", "Away"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_presence"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AWAY)
    # Blank: CARECRM_CHAT_MAX_PER_AGENT.
    max_chats = models.PositiveSmallIntegerField(null=True, blank=True)
    last_seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.user} {self.status}"


class ChatInvitationRule(models.Model):
    """When every condition that is set holds for a visitor with the widget open, the widget offers a
    chat with this text. Rules are tried in position order; the first that holds invites."""

    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    text = models.CharField(max_length=300, help_text="What the invitation says.")
    page_contains = models.CharField(
        max_length=200, blank=True, default="", help_text="Part of the page address, such as /checkout."
    )
    cart_idle_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="The cart has not changed for at least this many minutes."
    )
    cart_min_value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="The cart is worth at least this."
    )
    min_orders = models.PositiveIntegerField(
        null=True, blank=True, help_text="The customer has placed at least this many orders."
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name


class ChatInvitation(models.Model):
    """One invitation shown to one visitor, and what they did with it."""

    class Answer(models.TextChoices):
        PENDING = "", "No answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    rule = models.ForeignKey(ChatInvitationRule, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_invitations"
    )
    # The widget's random id for this browser: one invitation per rule and visitor a day.
    visitor = models.CharField(max_length=64)
    page_url = models.CharField(max_length=500, blank=True, default="")
    sent_at = models.DateTimeField()
    answer = models.CharField(max_length=10, choices=Answer.choices, blank=True, default=Answer.PENDING)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["visitor", "sent_at"], name="chat_invitation_visitor")]

    def __str__(self):
        return f"{self.rule} to {self.visitor} ({self.answer or 'no answer'})"


class ChatTokenUse(models.Model):
    """The nonce of every identity token a widget presented, kept until the token expires: a token seen
    once is refused the second time, so one copied from a page or a log opens nothing."""

    nonce = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.nonce
