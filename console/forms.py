"""Console forms. They parse what staff typed; the services decide what becomes of it."""

from decimal import Decimal
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from campaigns.models import Campaign, Coupon, Step
from customers.models import Customer
from knowledgebase.models import Article, Category
from lifecycle.models import Segment
from tickets.models import ChatInvitationRule


class ListField(forms.CharField):
    """A comma-separated list in one text box."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [part.strip() for part in (value or "").split(",") if part.strip()]


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences that answer on their own: shown in search results and suggestions.",
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18, "class": "mono"}), help_text="Markdown.")
    kind = forms.ChoiceField(choices=Article.Kind.choices)
    category = forms.ModelChoiceField(queryset=Category.objects.all())
    policy = forms.ChoiceField(
        choices=Article.Policy.choices,
        required=False,
        help_text="Shown first on /help/ as one of the shop's promises. One published page per policy.",
    )
    tags = ListField(required=False, help_text="Comma-separated.")
    related_skus = ListField(required=False, label="Related SKUs", help_text="Comma-separated.")
    related_categories = ListField(
        required=False, label="Related product categories", help_text="Comma-separated."
    )


ARTICLE_INITIAL_FIELDS = list(ArticleForm.base_fields)


class TicketLogForm(forms.Form):
    """A phone call or a chat an agent writes down as a ticket."""

    channel = forms.ChoiceField(choices=[("phone", "Phone call"), ("chat", "Chat transcript")])
    email = forms.EmailField(label="Customer's email", max_length=254)
    name = forms.CharField(label="Customer's name", max_length=150, required=False)
    order_number = forms.CharField(label="Order number", max_length=50, required=False)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        label="What the customer said", max_length=100_000, widget=forms.Textarea(attrs={"rows": 8})
    )


# --- Campaigns -------------------------------------------------------------------------------------

# Offered as suggestions: any kind an app records can trigger or end a journey.
JOURNEY_EVENT_KINDS = (
    "registered", "order_placed", "order_cancelled", "payment_failed", "shipment_created",
    "shipment_delivered", "return_requested", "refund_issued", "ticket_opened", "ticket_resolved",
    "csat_received", "cart_abandoned", "stage_changed", "coupon_redeemed", "message_clicked",
)  # fmt: skip
EVENT_KIND = RegexValidator(r"^[a-z][a-z0-9_]*$", "An event kind such as order_placed.")
TRIGGER_FIELDS = (
    "trigger_kind", "trigger_first_order", "trigger_stage", "entry_segment", "entry_window_hours",
    "exit_kinds", "reentry_days",
)  # fmt: skip
BROADCAST_FIELDS = ("segment", "schedule", "schedule_time_zone", "send_rate_per_minute")


class EventKindsField(ListField):
    default_validators = []

    def validate(self, value):
        super().validate(value)
        for kind in value:
            EVENT_KIND(kind)


class CampaignForm(forms.Form):
    """A campaign's settings. Only the fields of its kind are shown: a journey's trigger and exits, or a
    broadcast's audience and schedule."""

    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    trigger_kind = forms.CharField(
        label="Enrolls on",
        max_length=64,
        required=False,
        validators=[EVENT_KIND],
        widget=forms.TextInput(attrs={"list": "event-kinds"}),
        help_text="The event that starts the journey.",
    )
    trigger_first_order = forms.BooleanField(
        label="First order only", required=False, help_text="With order_placed."
    )
    trigger_stage = forms.ChoiceField(
        label="Moved to stage",
        required=False,
        choices=[("", "Any stage"), *Customer.Stage.choices],
        help_text="With stage_changed.",
    )
    entry_segment = forms.ModelChoiceField(
        label="Only customers in", queryset=Segment.objects.all(), required=False, empty_label="Everyone"
    )
    entry_window_hours = forms.IntegerField(
        label="Entry window (hours)",
        min_value=1,
        initial=168,
        help_text="An event already older than this when it arrives enrolls no one: imports send nothing.",
    )
    exit_kinds = EventKindsField(
        label="Exits on",
        required=False,
        widget=forms.TextInput(attrs={"list": "event-kinds"}),
        help_text="Comma-separated event kinds that end the journey early, e.g. order_placed.",
    )
    reentry_days = forms.IntegerField(
        label="Re-entry after (days)", min_value=1, required=False, help_text="Empty: once per customer ever."
    )
    segment = forms.ModelChoiceField(label="Audience", queryset=Segment.objects.all(), required=False)
    schedule = forms.CharField(
        label="Schedule (cron)",
        max_length=100,
        required=False,
        help_text="minute hour day-of-month month day-of-week: 0 9 1 * * is 9:00 on the 1st. "
        "Empty: only sent by hand.",
    )
    schedule_time_zone = forms.ChoiceField(label="Schedule time zone", choices=[])
    send_rate_per_minute = forms.IntegerField(
        label="Rate limit (messages per minute)", min_value=0, initial=0, help_text="0: as fast as possible."
    )
    holdout_percent = forms.IntegerField(
        label="Holdout (%)",
        min_value=0,
        max_value=50,
        initial=0,
        help_text="This share of the audience receives nothing, so uplift is measured against it.",
    )
    conversion_days = forms.IntegerField(
        label="Conversion window (days)",
        min_value=1,
        max_value=90,
        initial=5,
        help_text="An order this soon after a message counts as its conversion.",
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schedule_time_zone"].choices = [(zone, zone) for zone in sorted(available_timezones())]
        self.fields["schedule_time_zone"].initial = settings.TIME_ZONE
        hidden = BROADCAST_FIELDS if kind == Campaign.Kind.TRIGGER else TRIGGER_FIELDS
        for name in hidden:
            del self.fields[name]


class StepForm(forms.Form):
    UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}

    name = forms.CharField(max_length=120)
    delay = forms.IntegerField(min_value=0, initial=0, help_text="Counted from the trigger event.")
    delay_unit = forms.ChoiceField(
        label="Unit", choices=[(unit, unit.capitalize()) for unit in UNITS], initial="days"
    )
    purpose = forms.ChoiceField(choices=Step.Purpose.choices)
    on_exit = forms.BooleanField(
        label="Sent on exit",
        required=False,
        help_text="Goes out when an exit event ends the journey, its delay counted from that event.",
    )
    skip_if_ordered = forms.BooleanField(
        label="Skip if ordered",
        required=False,
        help_text="Skipped when the customer ordered after the trigger.",
    )
    condition = forms.ModelChoiceField(
        label="Only to customers in",
        queryset=Segment.objects.all(),
        required=False,
        empty_label="Everyone enrolled",
    )
    subject = forms.CharField(max_length=300)
    html = forms.CharField(label="HTML", widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}))
    text = forms.CharField(label="Plain text", widget=forms.Textarea(attrs={"rows": 8, "class": "mono"}))
    coupon_kind = forms.ChoiceField(label="Coupon", choices=Step.CouponKind.choices, required=False)
    coupon_value = forms.DecimalField(label="Coupon value", min_value=0, required=False, decimal_places=2)
    coupon_valid_days = forms.IntegerField(
        label="Coupon valid (days)", min_value=1, max_value=3650, initial=30
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        if kind == Campaign.Kind.BROADCAST:
            for name in ("delay", "delay_unit", "on_exit", "skip_if_ordered"):
                del self.fields[name]

    @classmethod
    def initial_for(cls, step: Step) -> dict:
        unit = next(u for u in ("days", "hours", "minutes") if step.delay_minutes % cls.UNITS[u] == 0)
        return {
            **{name: getattr(step, name) for name in cls.base_fields if hasattr(step, name)},
            "delay": step.delay_minutes // cls.UNITS[unit],
            "delay_unit": unit,
        }

    def step_data(self) -> dict:
        data = dict(self.cleaned_data)
        delay, unit = data.pop("delay", None), data.pop("delay_unit", None)
        if delay is not None:
            data["delay_minutes"] = delay * self.UNITS[unit]
        return data


# --- The customer 360's actions ---------------------------------------------------------------------


class OneOffEmailForm(forms.Form):
    subject = forms.CharField(max_length=300)
    text = forms.CharField(label="Message", max_length=100_000, widget=forms.Textarea(attrs={"rows": 6}))


class CouponGrantForm(forms.Form):
    kind = forms.ChoiceField(choices=Coupon.Kind.choices)
    value = forms.DecimalField(min_value=Decimal("0.01"), max_digits=10, decimal_places=2)
    valid_days = forms.IntegerField(label="Valid for (days)", min_value=1, max_value=3650, initial=30)


class MergeForm(forms.Form):
    duplicate = forms.CharField(
        label="Duplicate's email or customer id",
        max_length=254,
        help_text="Their orders, tickets and history move here; the duplicate is kept only as a pointer.",
    )


class EraseForm(forms.Form):
    confirm = forms.CharField(label="Type ERASE to confirm", max_length=10)

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip() != "ERASE":
            raise forms.ValidationError("Type ERASE in capitals to confirm.")
        return "ERASE"


# --- Live chat ---------------------------------------------------------------------------------------


class ChatInvitationRuleForm(forms.ModelForm):
    """A proactive chat invitation: every condition filled in must hold for the visitor; an empty one
    does not matter (tickets.chat.invitations.rule_holds)."""

    class Meta:
        model = ChatInvitationRule
        fields = [
            "name", "text", "is_active", "position", "page_contains", "cart_idle_minutes",
            "cart_min_value", "min_orders",
        ]  # fmt: skip
        labels = {
            "text": "Invitation",
            "is_active": "Active",
            "page_contains": "Page address contains",
            "cart_idle_minutes": "Cart unchanged for (minutes)",
            "cart_min_value": "Cart worth at least",
            "min_orders": "Customer's orders, at least",
        }
        help_texts = {
            "name": "For staff and the dashboards; visitors never see it.",
            "text": "What the invitation says to the visitor. Keep it short: it opens over the page.",
            "is_active": "Untick to stop inviting and keep the rule's results; deleting would lose them.",
            "position": "Rules are tried from the lowest position; the first whose conditions all hold "
            "invites, once per visitor a day.",
            "page_contains": "Part of the page address, such as /checkout. Empty: any page.",
            "cart_idle_minutes": "The cart has not changed for at least this many minutes. Empty: the "
            "cart's age does not matter.",
            "min_orders": "The visitor is a known customer with at least this many orders (0: any known "
            "customer). Empty: anyone, known or not.",
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The currency is a setting: read when the form is built, never at import time.
        self.fields[
            "cart_min_value"
        ].help_text = f"In {settings.CARECRM['CURRENCY']}. Empty: any cart, or none at all."

    def clean_cart_min_value(self):
        value = self.cleaned_data["cart_min_value"]
        if value is not None and value < 0:
            raise forms.ValidationError("A cart is never worth less than nothing: leave it empty instead.")
        return value
