"""The customer's order pages under /track/: find an order by its number and email address, follow it,
and ask for a return, a cancellation or help with it.

Proving an order is yours (its number with the email address it was placed with) grants this browser's
session that order; every page and action of an order asks for that grant. A wrong pair answers exactly
as an unknown number does, and attempts are rate-limited per client address and per order number, so
the form can neither confirm that a number exists nor be used to guess the email behind one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecrm import clock, money, ratelimit
from lifecycle.loyalty import loyalty_summary
from orders import selectors, services
from orders.carriers import tracking_url
from orders.forms import CancelRequestForm, ProblemReportForm, ReturnRequestForm, TrackLookupForm
from orders.models import Carrier, Order, OrderAlert, Return

SESSION_KEY = "track_orders"
# A browser that has looked up this many orders keeps the latest ones.
GRANTS_KEPT = 20
# (attempts, seconds): enough for a customer who mistypes a few times, too few to guess emails with.
LOOKUP_LIMIT_PER_CLIENT = (10, 600)
LOOKUP_LIMIT_PER_NUMBER = (10, 600)

NOT_FOUND = (
    "We could not find an order with that number and email address. Check both against your order "
    "confirmation email and try again."
)

Status = Order.Status
PROGRESS = ("Placed", "Confirmed", "Shipped", "Delivered")
PROGRESS_STEP = {
    Status.PENDING: 0,
    Status.CONFIRMED: 1,
    Status.PARTIALLY_SHIPPED: 2,
    Status.SHIPPED: 2,
    Status.DELIVERED: 3,
}
CANCELLABLE = (Status.PENDING, Status.CONFIRMED)


# --- Finding an order -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request):
    if request.method != "POST":
        form = TrackLookupForm(initial={"number": request.GET.get("number", "")[:50]})
        return render(request, "orders/track_lookup.html", {"form": form})

    # Every attempt counts, well-formed or not, before anything is looked up.
    number_typed = (request.POST.get("number") or "").strip().upper()[:50]
    client_allowed = ratelimit.hit(f"track:client:{ratelimit.client_ip(request)}", *LOOKUP_LIMIT_PER_CLIENT)
    number_allowed = ratelimit.hit(f"track:number:{number_typed}", *LOOKUP_LIMIT_PER_NUMBER)
    if not (client_allowed and number_allowed):
        return _too_many_attempts(request)

    form = TrackLookupForm(request.POST)
    if form.is_valid():
        found = selectors.order_matching(number=form.cleaned_data["number"], email=form.cleaned_data["email"])
        if found is not None:
            order_id, number = found
            _grant(request, order_id)
            return redirect("track:order", number=number)
        form.add_error(None, NOT_FOUND)
    return render(request, "orders/track_lookup.html", {"form": form})


def _too_many_attempts(request) -> HttpResponse:
    minutes = LOOKUP_LIMIT_PER_CLIENT[1] // 60
    response = render(request, "orders/track_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(LOOKUP_LIMIT_PER_CLIENT[1])
    return response


def _grant(request, order_id: int) -> None:
    granted = [pk for pk in request.session.get(SESSION_KEY, []) if pk != order_id]
    # A new key on proving who you are, like a sign-in: a session id planted beforehand learns nothing.
    request.session.cycle_key()
    request.session[SESSION_KEY] = [*granted, order_id][-GRANTS_KEPT:]


def _granted(request) -> list[int]:
    return [pk for pk in request.session.get(SESSION_KEY, []) if isinstance(pk, int)]


def _to_lookup(number: str):
    return redirect(f"{reverse('track:lookup')}?{urlencode({'number': number})}")


# --- The order's page -------------------------------------------------------------------------------


@never_cache
@require_GET
def order_page(request, number: str):
    order = selectors.order_for_tracking(number=number, among=_granted(request))
    if order is None:
        return _to_lookup(number)
    return _render_order(request, order)


@never_cache
@require_POST
def return_start(request, number: str):
    order = selectors.order_for_tracking(number=number, among=_granted(request))
    if order is None:
        return _to_lookup(number)
    form = ReturnRequestForm(request.POST, returnable=_returnable(order))

    def request_return(data: dict) -> None:
        ret = services.return_request(
            order=order,
            kind=data["kind"],
            reason=data["reason"],
            resolution=data["resolution"],
            items=form.items(),
            source="track",
            now=clock.now(),
        )
        messages.success(
            request,
            f"Your request is in. Your reference is {ret.rma}: keep it for any question about it. "
            "We will tell you how to send the items back once we have looked at it.",
        )

    if _form_applied(form, request_return):
        return _to_order(order, "#returns")
    return _render_order(request, order, return_form=form, status=400)


@never_cache
@require_POST
def cancel_request(request, number: str):
    order = selectors.order_for_tracking(number=number, among=_granted(request))
    if order is None:
        return _to_lookup(number)
    form = CancelRequestForm(request.POST)

    def request_cancel(data: dict) -> None:
        alert = services.order_cancel_request(order=order, reason=data["reason"], now=clock.now())
        if alert is None:
            messages.info(request, "We already have your request to cancel this order and are on it.")
        else:
            messages.success(
                request,
                "We have your request to cancel this order. If it has not left us yet we will cancel it "
                "and let you know.",
            )

    if _form_applied(form, request_cancel):
        return _to_order(order, "#requests")
    return _render_order(request, order, cancel_form=form, status=400)


@never_cache
@require_POST
def problem_report(request, number: str):
    order = selectors.order_for_tracking(number=number, among=_granted(request))
    if order is None:
        return _to_lookup(number)
    form = ProblemReportForm(request.POST)

    def report_problem(data: dict) -> None:
        services.order_problem_report(order=order, message=data["message"], now=clock.now())
        messages.success(request, "Thank you for telling us. Our support team will get back to you.")

    if _form_applied(form, report_problem):
        return _to_order(order, "#requests")
    return _render_order(request, order, problem_form=form, status=400)


def _form_applied(form: Form, apply: Callable[[dict], None]) -> bool:
    """Whether the form is valid and `apply(cleaned_data)` went through; a service's refusal
    (ValidationError) is put on the form instead."""
    if not form.is_valid():
        return False
    try:
        apply(form.cleaned_data)
    except ValidationError as exc:
        _add_errors(form, exc)
        return False
    return True


def _to_order(order: Order, anchor: str):
    return redirect(reverse("track:order", args=[order.number]) + anchor)


def _add_errors(form: Form, exc: ValidationError) -> None:
    """A service's refusal shown on the form: on the field it names, else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- What the page shows ----------------------------------------------------------------------------


def _day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = timezone.localdate(value)
    return date_format(value, "j F Y")


def _money(amount: Decimal, currency: str) -> str:
    return f"{money.to_decimal(amount, currency):,} {currency}"


def _returnable(order: Order) -> list[tuple]:
    """Each item with how many of it can still go back: not already in a return that is open or done.
    Reads only what order_for_tracking prefetched."""
    taken: dict[int, int] = {}
    for ret in order.returns.all():
        if ret.status in (Return.Status.REJECTED, Return.Status.CANCELLED):
            continue
        for line in ret.items.all():
            taken[line.order_item_id] = taken.get(line.order_item_id, 0) + line.quantity
    return [
        (item, item.quantity - taken.get(item.pk, 0))
        for item in order.items.all()
        if item.quantity > taken.get(item.pk, 0)
    ]


@dataclass
class Step:
    label: str
    state: str  # done, current or todo


def _progress(order: Order) -> list[Step]:
    reached = PROGRESS_STEP.get(order.status)
    if reached is None:
        return []
    steps = []
    for index, label in enumerate(PROGRESS):
        if index == 2 and order.status == Status.PARTIALLY_SHIPPED:
            label = "Partly shipped"
        state = "done" if index < reached else "current" if index == reached else "todo"
        steps.append(Step(label, state))
    return steps


def _headline(order: Order) -> str:
    if order.status == Status.PENDING:
        if order.payment_method == Order.PaymentMethod.PREPAID:
            return "We have your order and are waiting for your payment to come through."
        return "We have your order and are checking it."
    if order.status == Status.CONFIRMED:
        return "Your order is confirmed and we are getting it ready."
    if order.status == Status.PARTIALLY_SHIPPED:
        return "Part of your order is on its way; the rest will follow."
    if order.status == Status.SHIPPED:
        return "Your order is on its way."
    if order.status == Status.DELIVERED:
        return f"Your order was delivered on {_day(order.delivered_at)}."
    if order.status == Status.CANCELLED:
        return "This order was cancelled."
    return "This order was returned."


def _promise(order: Order, today: date) -> tuple[str, str] | None:
    """(how the delivery stands against the promised date, css class)."""
    promised = order.promised_delivery_date
    if not promised or order.status in (Status.CANCELLED, Status.RETURNED):
        return None
    when = _day(promised)
    if order.delivered_at:
        late_by = (timezone.localdate(order.delivered_at) - promised).days
        if late_by <= 0:
            return f"Delivered on time (promised by {when}).", "good"
        return f"Delivered {late_by} day{'s' if late_by > 1 else ''} late (promised by {when}).", "late"
    if today > promised:
        return (
            f"Running late: we promised it by {when}. We are chasing it and are sorry for the wait.",
            "late",
        )
    return f"Expected by {when}.", "good"


def _payment(order: Order) -> list[str]:
    total = _money(order.total, order.currency)
    lines = []
    if order.payment_method == Order.PaymentMethod.COD:
        if order.status == Status.DELIVERED:
            lines.append("Cash on delivery.")
        elif order.status not in (Status.CANCELLED, Status.RETURNED):
            lines.append(f"Cash on delivery: please have {total} ready when the courier arrives.")
        else:
            lines.append("Cash on delivery.")
    elif order.amount_paid >= order.total:
        lines.append("Paid in full.")
    elif order.amount_paid > 0:
        lines.append(f"Paid {_money(order.amount_paid, order.currency)} of {total}.")
    elif order.status == Status.PENDING:
        lines.append("Waiting for your payment.")
    else:
        lines.append("Prepaid.")
    if order.amount_refunded > 0:
        lines.append(f"{_money(order.amount_refunded, order.currency)} refunded to you.")
    return lines


def _carrier_name(shipment) -> str:
    if shipment.carrier == Carrier.OTHER:
        return shipment.carrier_name or "The carrier"
    return shipment.get_carrier_display()


def _shipments(order: Order) -> list[dict]:
    shipments = list(order.shipments.all())
    return [
        {
            "title": f"Package {index} of {len(shipments)}" if len(shipments) > 1 else "Your package",
            "shipment": shipment,
            "carrier": _carrier_name(shipment),
            "tracking_url": tracking_url(shipment.carrier, shipment.tracking_number),
            "contents": [(line.order_item.name, line.quantity) for line in shipment.items.all()],
            "timeline": shipment.timeline,
        }
        for index, shipment in enumerate(shipments, start=1)
    ]


def _request_label(alert: OrderAlert) -> str:
    if alert.kind == OrderAlert.Kind.CANCELLATION_REQUESTED:
        return "You asked us to cancel this order"
    return "You reported a problem"


def _return_windows(order: Order, now: datetime) -> dict:
    """What the return form says about its deadlines, and why a return cannot start now if it cannot."""
    try:
        services.return_check_allowed(order=order, kind=Return.Kind.RETURN, now=now)
        refusal = ""
    except ValidationError as exc:
        refusal = " ".join(exc.messages)
    return {
        "return_deadline": services.return_deadline(order, kind=Return.Kind.RETURN),
        "price_protection_deadline": services.return_deadline(order, kind=Return.Kind.PRICE_PROTECTION),
        "return_refusal": refusal,
    }


def _render_order(
    request,
    order: Order,
    *,
    return_form: ReturnRequestForm | None = None,
    cancel_form: CancelRequestForm | None = None,
    problem_form: ProblemReportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = clock.now()
    items = list(order.items.all())
    subtotal = sum((item.line_total for item in items), Decimal(0))
    open_requests = order.open_requests
    cancel_asked = any(a.kind == OrderAlert.Kind.CANCELLATION_REQUESTED for a in open_requests)
    returnable = _returnable(order)
    context = {
        "order": order,
        "headline": _headline(order),
        "progress": _progress(order),
        "promise": _promise(order, timezone.localdate(now)),
        "payment": _payment(order),
        "items": [
            {
                "item": item,
                "unit_price": _money(item.unit_price, order.currency),
                "line_total": _money(item.line_total, order.currency),
            }
            for item in items
        ],
        "subtotal": _money(subtotal, order.currency),
        # Shipping, taxes and discounts: whatever the order's total adds to or takes from its items.
        "adjustment": _money(order.total - subtotal, order.currency) if order.total != subtotal else "",
        "total": _money(order.total, order.currency),
        "shipments": _shipments(order),
        "loyalty": loyalty_summary(order.customer),
        "returns": list(order.returns.all()),
        "open_requests": [(_request_label(alert), alert) for alert in open_requests],
        "can_return": bool(returnable) and order.status not in (Status.CANCELLED, Status.RETURNED),
        "can_cancel": order.status in CANCELLABLE and not cancel_asked,
        "cancel_asked": cancel_asked,
        "return_form": return_form or ReturnRequestForm(returnable=returnable),
        "cancel_form": cancel_form or CancelRequestForm(),
        "problem_form": problem_form or ProblemReportForm(),
        **_return_windows(order, now),
    }
    return render(request, "orders/track_order.html", context, status=status)
