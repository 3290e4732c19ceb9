from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaigns.templating import template_check
from carecrm import money
from customers.models import Customer
from lifecycle.models import Event, Segment


def templates_check(message) -> None:
    """Refuse a message whose subject, HTML or text does not compile, naming the field and the line."""
    errors = {}
    for field in ("subject", "html", "text"):
        try:
            template_check(getattr(message, field), field=field)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


class Campaign(models.Model):
    """A trigger journey (an event enrolls a customer, steps follow at delays) or a broadcast (one message
    to a segment, on a schedule)."""

    class Kind(models.TextChoices):
        TRIGGER = "trigger", "Trigger journey"
        BROADCAST = "broadcast", "Broadcast"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ARCHIVED = "archived", "Archived"

    TRANSITIONS = {
        Status.DRAFT: {Status.ACTIVE, Status.ARCHIVED},
        Status.ACTIVE: {Status.PAUSED, Status.ARCHIVED},
        Status.PAUSED: {Status.ACTIVE, Status.ARCHIVED},
        Status.ARCHIVED: set(),
    }

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TRIGGER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(blank=True, default="")

    # Trigger journeys
    trigger_kind = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The event kind that enrolls: registered, order_placed…",
    )
    trigger_first_order = models.BooleanField(
        default=False, help_text="order_placed: only the customer's first order enrolls."
    )
    trigger_stage = models.CharField(
        max_length=16,
        blank=True,
        default="",
        choices=Customer.Stage.choices,
        help_text="stage_changed: only a move to this stage enrolls.",
    )
    entry_segment = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only customers in this segment when the event arrives enroll.",
    )
    entry_window_hours = models.PositiveIntegerField(
        default=168, help_text="An event already older than this when it arrives enrolls no one (a backfill)."
    )
    exit_kinds = models.JSONField(
        default=list, blank=True, help_text='Event kinds that end an enrollment early: ["order_placed"].'
    )
    reentry_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Empty: a customer enters once ever. N: again N days after their last entry.",
    )

    # Broadcasts
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="The audience."
    )
    schedule = models.ForeignKey(
        "django_celery_beat.CrontabSchedule",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="When it goes out (cron, in the schedule's time zone). Empty: only when started by hand.",
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    send_rate_per_minute = models.PositiveIntegerField(
        default=0, help_text="Messages per minute at most; 0: as fast as the workers go."
    )

    # Measurement
    holdout_percent = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(50)],
        help_text="This share of the audience receives nothing, so uplift is measured against it.",
    )
    conversion_days = models.PositiveSmallIntegerField(
        default=5, help_text="An order within this many days of a message is counted as its conversion."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Step(models.Model):
    """One message of a campaign: what, when (a delay from the trigger's occurred_at), and to whom."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", "Marketing (needs consent)"
        SERVICE = "service", "Service (goes regardless of consent)"

    class CouponKind(models.TextChoices):
        NONE = "", "No coupon"
        FIXED = "fixed", "Fixed amount off"
        PERCENT = "percent", "Percent off"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    delay_minutes = models.PositiveIntegerField(default=0, help_text="From the trigger event's occurred_at.")
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.MARKETING)
    on_exit = models.BooleanField(
        default=False,
        help_text="Goes out when the enrollment exits through an exit event (delay counted from that event).",
    )
    skip_if_ordered = models.BooleanField(
        default=False, help_text="Skipped when the customer has ordered since the trigger."
    )
    condition = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Sent only to customers in this segment when it is due; the others skip it.",
    )
    subject = models.CharField(max_length=300)
    html = models.TextField()
    text = models.TextField()
    coupon_kind = models.CharField(max_length=8, choices=CouponKind.choices, blank=True, default="")
    coupon_value = models.DecimalField(
        max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES, null=True, blank=True
    )
    coupon_valid_days = models.PositiveSmallIntegerField(default=30)

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="step_campaign_position_unique")
        ]

    def __str__(self):
        return f"{self.campaign.slug} #{self.position}: {self.name}"

    def clean(self):
        templates_check(self)
        if self.coupon_kind and not self.coupon_value:
            raise ValidationError({"coupon_value": "Say how much the coupon is worth."})
        if self.coupon_kind == self.CouponKind.PERCENT and self.coupon_value and self.coupon_value > 100:
            raise ValidationError({"coupon_value": "A percent coupon is at most 100 % off."})


class Variant(models.Model):
    """An A/B alternative of a step's message. The step itself is variant "A"; customers are split evenly
    between it and its variants by a hash of customer and step, so a retry lands on the same one."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=20, help_text="B, C…")
    subject = models.CharField(max_length=300)
    html = models.TextField()
    text = models.TextField()

    class Meta:
        ordering = ["step", "name"]
        constraints = [models.UniqueConstraint(fields=["step", "name"], name="variant_step_name_unique")]

    def __str__(self):
        return f"{self.step} / {self.name}"

    def clean(self):
        templates_check(self)


class Enrollment(models.Model):
    """A customer's way through a trigger journey, started by one event. `due_at` is when its next step
    is due: the row the steps job claims. A held-out enrollment goes through the same steps, but its
    deliveries are recorded as held out and never sent: the control group of the campaign's results."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        EXITED = "exited", "Exited"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="enrollments")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="enrollments")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    held_out = models.BooleanField(default=False)
    triggered_at = models.DateTimeField(help_text="The trigger event's occurred_at: delays count from it.")
    enrolled_at = models.DateTimeField()
    next_position = models.PositiveSmallIntegerField(default=1)
    due_at = models.DateTimeField(null=True, blank=True)
    exit_event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            # One enrollment per trigger event, whatever retries, sweeps or workers handle it.
            models.UniqueConstraint(fields=["campaign", "event"], name="enrollment_campaign_event_unique")
        ]
        indexes = [
            # the steps job: enrollments whose next step is due, oldest first
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="enrollment_due_idx"),
            # exits and re-entry: a customer's enrollments in a campaign
            models.Index(fields=["customer", "campaign", "-enrolled_at"], name="enrollment_customer_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} in {self.campaign_id} ({self.state})"


class BroadcastRun(models.Model):
    """One sending of a broadcast to its segment as it stood then."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    scheduled_for = models.DateTimeField()
    started_at = models.DateTimeField()
    audience = models.PositiveIntegerField(default=0)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    # The fan-out at work stamps this as it goes: one whose stamp is older than the lease has died.
    fan_out_beat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-scheduled_for"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "scheduled_for"], name="run_campaign_slot_unique")
        ]

    def __str__(self):
        return f"{self.campaign.slug} at {self.scheduled_for:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    """One message of one step (or broadcast run) to one customer: recorded before it is sent, claimed
    by one worker, marked as it goes. `key` makes it one per step and customer (per run for broadcasts)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        HELD_OUT = "held_out", "Held out"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="deliveries")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    run = models.ForeignKey(
        BroadcastRun, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="deliveries")
    key = models.CharField(max_length=100, unique=True)
    purpose = models.CharField(max_length=10, choices=Step.Purpose.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=300, blank=True, default="", help_text="Why skipped or failed.")
    to = models.EmailField(max_length=254, blank=True, default="")
    subject = models.CharField(max_length=300, blank=True, default="")
    message_id = models.CharField(max_length=200, unique=True, help_text="Our Message-ID, set when recorded.")
    esp_message_id = models.CharField(max_length=200, blank=True, default="", db_index=True)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="When a send task was queued for it.")
    claim = models.CharField(max_length=40, blank=True, default="", help_text="The batch that claimed it.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    converted_order_id = models.BigIntegerField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    revenue = models.DecimalField(
        max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES, null=True, blank=True
    )

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            # the sender: queued messages that are due, in order
            models.Index(fields=["due_at", "id"], condition=Q(status="queued"), name="delivery_queued_idx"),
            # recovery: batches whose worker died mid-way
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="delivery_sending_idx"),
            # frequency cap, attribution and the customer's campaign history
            models.Index(fields=["customer", "-due_at"], name="delivery_customer_idx"),
            # results per campaign, step and variant
            models.Index(fields=["campaign", "step", "status"], name="delivery_results_idx"),
        ]

    def __str__(self):
        return f"{self.key} ({self.status})"


class DeliveryEvent(models.Model):
    """A tracking event an ESP reported for a delivery, kept once by the ESP's event id: a webhook
    delivered twice changes nothing the second time."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20)
    esp_event_id = models.CharField(max_length=200, unique=True)
    occurred_at = models.DateTimeField()
    url = models.URLField(max_length=2000, blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self):
        return f"{self.kind} of delivery {self.delivery_id}"


class Coupon(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", "Fixed amount off"
        PERCENT = "percent", "Percent off"

    code = models.CharField(max_length=50, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="coupons")
    delivery = models.OneToOneField(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="coupon"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.DecimalField(max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES)
    currency = models.CharField(max_length=3, default=money.default_currency)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    redeemed_order_id = models.BigIntegerField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self):
        return self.code

    @property
    def label(self) -> str:
        return (
            f"{self.value.normalize():f} %"
            if self.kind == self.Kind.PERCENT
            else f"{self.value} {self.currency}"
        )


class Suppression(models.Model):
    """An address no campaign email goes to: it bounced hard, complained, or was suppressed by hand."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Suppressed by staff"

    email = models.EmailField(max_length=254, unique=True, help_text="Lower-cased.")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True, default="")

    def __str__(self):
        return f"{self.email} ({self.reason})"
