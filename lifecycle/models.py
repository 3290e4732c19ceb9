from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from carecrm import clock
from customers.models import Customer
from lifecycle.segments import SegmentError, segment_compile


class Event(models.Model):
    """One thing that happened to a customer: the journey log, the outbox for subscribers, the timeline
    and the raw material of the reports. Written in the same transaction as the change it records."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(
        help_text="When it happened in the world, not when CareCRM heard of it."
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    summary = models.CharField(max_length=300, blank=True, default="")
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Makes recording idempotent: a second event with the same key is not written (registered:<customer>).
    key = models.CharField(max_length=200, unique=True, null=True, blank=True)

    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_attempts = models.PositiveSmallIntegerField(default=0)
    dispatch_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # customer timeline, newest first
            models.Index(fields=["customer", "-occurred_at", "-id"], name="event_timeline_idx"),
            # the sweep: events not yet handed to their subscribers, oldest first
            models.Index(
                fields=["id"], condition=Q(dispatched_at__isnull=True), name="event_undispatched_idx"
            ),
            # reports: events of one kind in a period
            models.Index(fields=["kind", "occurred_at"], name="event_kind_time_idx"),
        ]

    def __str__(self):
        return f"{self.kind} of customer {self.customer_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class EventHandling(models.Model):
    """A subscriber has handled an event. Written in the subscriber's own transaction, so the unique
    constraint makes every subscriber idempotent however often the event is dispatched."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="handlings")
    subscriber = models.CharField(max_length=100)
    handled_at = models.DateTimeField(default=timezone.now)
    handled_by = models.CharField(max_length=100, help_text="host:pid of the process that handled it")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="handling_event_subscriber_unique")
        ]

    def __str__(self):
        return f"{self.subscriber} handled event {self.event_id}"


class Segment(models.Model):
    """A saved group of customers: a rule of lifecycle.segments, compiled to one query when used."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True, default="")
    rule = models.JSONField(help_text='{"all": [{"field": "stage", "op": "in", "value": ["active"]}]}')
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            segment_compile(self.rule, now=clock.now())
        except SegmentError as error:
            raise ValidationError({"rule": str(error)}) from error


class LoyaltyEntry(models.Model):
    """One line of a customer's points ledger. The key makes each earning or loss happen once, however
    often its event is handled."""

    class Reason(models.TextChoices):
        ORDER = "order", "Order placed"
        CANCELLATION = "cancellation", "Order cancelled"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="loyalty_entries")
    points = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    key = models.CharField(max_length=100, unique=True)
    note = models.CharField(max_length=200, blank=True, default="")
    occurred_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "loyalty entries"
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="loyalty_customer_occurred")]

    def __str__(self):
        return f"{self.points:+d} {self.reason}"
