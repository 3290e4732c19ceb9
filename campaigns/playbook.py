"""The retailer's playbook of the contract: welcome, first purchase and win-back, installed once and
then the marketers' to change. `playbook_install` creates what is missing and leaves edits alone."""

from decimal import Decimal

from django.db import transaction

from campaigns.models import Campaign, Step

DAY = 24 * 60
_FOOTER_HTML = (
    '<p style="color:#667;font-size:12px">You receive this because you agreed to hear from us. '
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a> with one click.</p>'
)
_FOOTER_TEXT = "\n--\nUnsubscribe with one click: {{ unsubscribe_url }}\n"
_COUPON_HTML = (
    '{% if coupon %}<p style="font-size:18px">Your code: <strong>{{ coupon.code }}</strong> '
    "({{ coupon.label }} off, until {{ coupon.expires_at|date:'j F Y' }})</p>{% endif %}"
)
_COUPON_TEXT = (
    "{% if coupon %}Your code: {{ coupon.code }} ({{ coupon.label }} off, "
    "until {{ coupon.expires_at|date:'j F Y' }}){% endif %}\n"
)
_PICKS_HTML = (
    "{% if recommendations %}<p>Picked for you:</p><ul>{% for item in recommendations %}"
    "<li>{{ item.name }}</li>{% endfor %}</ul>{% endif %}"
)
_PICKS_TEXT = "{% for item in recommendations %}- {{ item.name }}\n{% endfor %}"


def _message(subject: str, paragraphs: list[str], *, coupon=False, picks=False, marketing=True) -> dict:
    html = "<p>Hello {{ customer.first_name|default:'there' }},</p>" + "".join(
        f"<p>{p}</p>" for p in paragraphs
    )
    text = "Hello {{ customer.first_name|default:'there' }},\n\n" + "\n\n".join(paragraphs) + "\n\n"
    if coupon:
        html, text = html + _COUPON_HTML, text + _COUPON_TEXT
    if picks:
        html, text = html + _PICKS_HTML, text + _PICKS_TEXT
    if marketing:
        html, text = html + _FOOTER_HTML, text + _FOOTER_TEXT
    return {"subject": subject, "html": html, "text": text}


PLAYBOOK = [
    {
        "slug": "welcome",
        "name": "Welcome: registered without a purchase",
        "trigger_kind": "registered",
        "exit_kinds": ["order_placed"],
        "steps": [
            {
                "name": "Phone help and a first-order coupon",
                "delay_minutes": 2 * DAY,
                "coupon_kind": Step.CouponKind.PERCENT,
                "coupon_value": Decimal("10"),
                "coupon_valid_days": 30,
                **_message(
                    "Welcome, {{ customer.first_name|default:'and thank you' }}: 10 % off your first order",
                    [
                        "Thank you for joining us. Not sure what to choose? Call us and a person will help "
                        "you pick, compare sizes or check a delivery date.",
                        "Your first order is 10 % cheaper with this code:",
                    ],
                    coupon=True,
                ),
            }
        ],
    },
    {
        "slug": "first-purchase",
        "name": "First purchase series",
        "trigger_kind": "order_placed",
        "trigger_first_order": True,
        "steps": [
            {
                "name": "Order confirmation",
                "delay_minutes": 0,
                "purpose": Step.Purpose.SERVICE,
                **_message(
                    "Thank you for your first order {{ order.number }}",
                    [
                        "We have your order {{ order.number }} ({{ order.total }} {{ order.currency }}) and "
                        "will tell you when it ships. Follow it any time: {{ order.track_url }}",
                    ],
                    marketing=False,
                ),
            },
            {
                "name": "Delivery and quality survey",
                "delay_minutes": 5 * DAY,
                **_message(
                    "How did we do with order {{ order.number }}?",
                    [
                        "Did your parcel arrive on time and in good shape? Are you happy with what was in "
                        "it? Two questions, one minute: just reply to this email.",
                    ],
                ),
            },
            {
                "name": "Tips and a next-order coupon",
                "delay_minutes": 14 * DAY,
                "skip_if_ordered": True,
                "coupon_kind": Step.CouponKind.FIXED,
                "coupon_value": Decimal("5.00"),
                "coupon_valid_days": 30,
                **_message(
                    "Getting the most from your purchase, and 5 off the next one",
                    [
                        "Our help centre has care guides and answers about returns and deliveries: "
                        "{{ help_url }}",
                        "When you are ready for more, this code takes 5 off your next order:",
                    ],
                    coupon=True,
                    picks=True,
                ),
            },
            {
                "name": "A coupon for the next shop",
                "delay_minutes": 60 * DAY,
                "skip_if_ordered": True,
                "coupon_kind": Step.CouponKind.PERCENT,
                "coupon_value": Decimal("15"),
                "coupon_valid_days": 45,
                **_message(
                    "15 % off your next order",
                    ["It has been two months: here is 15 % off whatever you choose next."],
                    coupon=True,
                    picks=True,
                ),
            },
        ],
    },
    {
        "slug": "win-back",
        "name": "Win-back of dormant customers",
        "trigger_kind": "stage_changed",
        "trigger_stage": "dormant",
        "exit_kinds": ["order_placed"],
        "reentry_days": 180,
        "steps": [
            {
                "name": "Reactivation: survey and coupon",
                "delay_minutes": 0,
                "coupon_kind": Step.CouponKind.PERCENT,
                "coupon_value": Decimal("20"),
                "coupon_valid_days": 30,
                **_message(
                    "We miss you, {{ customer.first_name|default:'friend' }}: 20 % off",
                    [
                        "It has been a while. Was something wrong? Reply in a line and tell us what we "
                        "could do better.",
                        "And if you would like to come back, 20 % off is waiting:",
                    ],
                    coupon=True,
                    picks=True,
                ),
            },
            {
                "name": "Welcome back: an incentive after the first order",
                "delay_minutes": 0,
                "on_exit": True,
                "coupon_kind": Step.CouponKind.FIXED,
                "coupon_value": Decimal("10.00"),
                "coupon_valid_days": 60,
                **_message(
                    "Welcome back, and 10 off your next order",
                    ["Thank you for your order {{ order.number }}. Here is 10 off the one after it:"],
                    coupon=True,
                ),
            },
        ],
    },
]


def playbook_install() -> list[tuple[str, bool]]:
    """Create the playbook's campaigns that do not exist yet, active. Returns (slug, created) pairs."""
    done = []
    for spec in PLAYBOOK:
        spec = dict(spec)
        steps = spec.pop("steps")
        with transaction.atomic():
            campaign, created = Campaign.objects.get_or_create(
                slug=spec["slug"],
                defaults={**spec, "kind": Campaign.Kind.TRIGGER, "status": Campaign.Status.ACTIVE},
            )
            if created:
                for position, step in enumerate(steps, start=1):
                    Step(campaign=campaign, position=position, **step).full_clean(exclude=["campaign"])
                    Step.objects.create(campaign=campaign, position=position, **step)
        done.append((campaign.slug, created))
    return done
