from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from console import selectors


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
        },
    )
