from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console import selectors
from orders.models import OrderAlert
from orders.services import alert_resolve


def staff_required(view):
    """Signed-out visitors go to the login page; a signed-in account without staff access (the
    integration user) gets 403, not a redirect back to a login page that would send it here again."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("The console is for staff accounts.")
        return view(request, *args, **kwargs)

    return wrapped


@staff_required
def home(request):
    stages = selectors.stage_counts()
    return render(
        request,
        "console/home.html",
        {
            "stages": stages,
            "customers_total": sum(row["count"] for row in stages),
            "recent_events": selectors.recent_events(),
            "alert_counts": selectors.open_alert_counts(),
        },
    )


@staff_required
def alerts(request):
    """Orders that need a person now: double charges, unrefunded cancellations, overdue refunds, late
    deliveries and what customers asked for on the tracking page. Urgent first."""
    return render(request, "console/alerts.html", {"alerts": selectors.open_alerts()})


@require_POST
@staff_required
def alert_resolve_view(request, alert_id: int):
    if not request.user.has_perm("orders.change_orderalert"):
        raise PermissionDenied("Your role cannot resolve alerts.")
    alert = get_object_or_404(OrderAlert, pk=alert_id)
    if alert_resolve(alert=alert, actor=request.user.get_username()):
        messages.success(request, f"{alert.get_kind_display()} on order {alert.order.number} resolved.")
    else:
        messages.info(request, "That alert was already resolved.")
    return redirect("console:alerts")
