from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from carecrm import money


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Customer(models.Model):
    class Stage(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        NEW = "new", "New"
        ACTIVE = "active", "Active"
        LOYAL = "loyal", "Loyal"
        DORMANT = "dormant", "Dormant"
        LOST = "lost", "Lost"

    # The store's own id; customers who first wrote in by email or chat have none until the store sends it.
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # Stored lower-cased (customers.services.normalize_email); unique case-insensitively, blank allowed.
    email = models.EmailField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=32, blank=True, default="")
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    registered_at = models.DateTimeField()
    acquisition_channel = models.CharField(max_length=50, blank=True, default="")
    country = models.CharField(
        max_length=2,
        blank=True,
        default="",
        validators=[RegexValidator(r"^[A-Z]{2}$", "Country is a two-letter ISO 3166 code such as DE.")],
    )
    city = models.CharField(max_length=100, blank=True, default="")
    # IANA name (Europe/Berlin): campaigns keep quiet hours in it; empty means the shop's own TIME_ZONE.
    time_zone = models.CharField(max_length=64, blank=True, default="")
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")

    marketing_opt_in = models.BooleanField(default=False)
    marketing_opt_in_at = models.DateTimeField(
        null=True, blank=True, help_text="When consent was last given or withdrawn."
    )
    order_updates_opt_out = models.BooleanField(
        default=False, help_text="No service emails about orders (shipped, delivered, refunds)."
    )
    marketing_opt_in_source = models.CharField(
        max_length=50, blank=True, default="", help_text="How: checkout, api, web form, admin…"
    )

    # Summary columns kept current by the apps above with F() updates in the same transaction as the change.
    lifecycle_stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PROSPECT)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    orders_count = models.PositiveIntegerField(default=0)
    total_spent = models.DecimalField(
        max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES, default=0
    )
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    # Balance of the loyalty ledger (lifecycle.LoyaltyEntry), kept with F() updates.
    loyalty_points = models.IntegerField(default=0)
    # RFM quintiles among customers who bought (5 best), set by lifecycle's rfm job; null before a purchase.
    rfm_recency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(null=True, blank=True)

    # Personal data erased on request: the row stays for the orders the books keep.
    erased_at = models.DateTimeField(null=True, blank=True)
    # A merged duplicate stays as a tombstone so that its old external id still leads to the survivor.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="customer_email_ci_unique"),
        ]
        indexes = [
            # customers list filtered by stage (?stage=, segments), newest first
            models.Index(fields=["lifecycle_stage", "-id"], name="customer_stage_idx"),
            # dormancy sweep: buyers whose last order is older than the dormancy period
            models.Index(fields=["last_order_at"], name="customer_last_order_idx"),
        ]

    def __str__(self):
        return self.full_name or self.email or self.external_id or f"Customer {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def average_order_value(self):
        return (
            (self.total_spent / self.orders_count).quantize(self.total_spent) if self.orders_count else None
        )

    @property
    def rfm(self) -> str:
        """ "545": recency, frequency and monetary quintiles; "" before a first purchase."""
        scores = (self.rfm_recency, self.rfm_frequency, self.rfm_monetary)
        return "".join(str(score) for score in scores) if all(scores) else ""


class CustomerIdentity(models.Model):
    """An address by which a channel knows a customer, so email, phone and chat all find the same one."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email address"
        PHONE = "phone", "Phone number"
        CHAT = "chat", "Chat handle"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="Normalised: emails lower-cased, phones as +digits.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "customer identities"
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_kind_value_unique")]

    def __str__(self):
        return f"{self.kind}:{self.value}"


class AccessRecord(models.Model):
    """Who viewed, changed, exported or erased which customer, and when: staff actions on a person's
    data, kept when the data itself is erased (the record names the staff member, never the customer's
    details)."""

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed"
        CHANGED = "changed", "Changed"
        EMAILED = "emailed", "Emailed"
        EXPORTED = "exported", "Exported"
        MERGED = "merged", "Merged a duplicate into"
        ERASED = "erased", "Erased"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="access_records")
    actor = models.CharField(max_length=150, help_text="The staff member's username.")
    action = models.CharField(max_length=10, choices=Action.choices)
    detail = models.CharField(max_length=200, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # the customer page's access log, newest first
            models.Index(fields=["customer", "-at"], name="access_customer_idx"),
            # the console's access log, newest first, by staff member
            models.Index(fields=["actor", "-at"], name="access_actor_idx"),
        ]

    def __str__(self):
        return f"{self.actor} {self.action} customer {self.customer_id}"
