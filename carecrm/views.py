from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from carecrm import ratelimit
from carecrm.celery import app as celery_app


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker both answer, 503 naming the one that does not."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_broker() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            # One attempt, no back-off pause: a probe must answer fast when the broker is down.
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def page_not_found(request, exception):
    """A path no route matches (/api/v1/customers/1.5/timeline/) answers in the API's own error shape
    under /api/, so a client parsing JSON errors is not handed an HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


# Sign-in attempts per 15 minutes: per client address (a password sprayed over many accounts) and per
# username (one account guessed from many addresses).
LOGIN_WINDOW = 15 * 60
LOGIN_LIMIT_PER_ADDRESS = 30
LOGIN_LIMIT_PER_USERNAME = 10


class ThrottledLoginView(auth_views.LoginView):
    """Django's sign-in, with the attempts counted: past either limit it answers 429 without checking
    the password, so guessing costs the attacker time and tells them nothing."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")[:150].strip().lower()
        allowed = ratelimit.hit(
            f"login:ip:{ratelimit.client_ip(request)}", LOGIN_LIMIT_PER_ADDRESS, LOGIN_WINDOW
        ) and ratelimit.hit(f"login:user:{username}", LOGIN_LIMIT_PER_USERNAME, LOGIN_WINDOW)
        if not allowed:
            context = self.get_context_data(form=self.get_form_class()(request), throttled=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)
