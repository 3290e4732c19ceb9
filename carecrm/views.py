from django import forms
from django.contrib import messages as flash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from carecrm import ratelimit, twofactor
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


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        widget = forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"})
        super().__init__(max_length=12, widget=widget, **kwargs)


class StaffAuthenticationForm(AuthenticationForm):
    """Username and password, then the authenticator app's code for a member who turned it on."""

    otp_token = CodeField(label="Authentication code", required=False)
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password didn't match. Please try again.",
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and twofactor.totp_enabled(user):
            token = cleaned.get("otp_token", "")
            if not token.strip():
                self.user_cache = None
                raise ValidationError(
                    "Enter the code your authenticator app shows for CareCRM.", code="otp_required"
                )
            if not twofactor.totp_verify(user, token):
                self.user_cache = None
                raise ValidationError(
                    "That authentication code is not right or was used already. Enter the current one.",
                    code="otp_invalid",
                )
        return cleaned


class ThrottledLoginView(auth_views.LoginView):
    """Django's sign-in, with the attempts counted: past either limit it answers 429 without checking
    the password, so guessing costs the attacker time and tells them nothing."""

    redirect_authenticated_user = True
    form_class = StaffAuthenticationForm

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")[:150].strip().lower()
        allowed = ratelimit.hit(
            f"login:ip:{ratelimit.client_ip(request)}", LOGIN_LIMIT_PER_ADDRESS, LOGIN_WINDOW
        ) and ratelimit.hit(f"login:user:{username}", LOGIN_LIMIT_PER_USERNAME, LOGIN_WINDOW)
        if not allowed:
            context = self.get_context_data(form=self.get_form_class()(request), throttled=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)


class TwoFactorForm(forms.Form):
    otp_token = CodeField(label="Code from the app")


@require_http_methods(["GET", "POST"])
@login_required
def two_factor(request):
    """A staff member turns the authenticator-app second factor on (scan, then type a code) or off (type
    a code)."""
    user = request.user
    if not user.is_staff:
        raise PermissionDenied("Two-factor sign-in is for staff accounts.")
    enabled = twofactor.totp_enabled(user)
    form = TwoFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["otp_token"]
        if enabled and twofactor.totp_disable(user, token):
            flash.success(request, "Two-factor sign-in is off. Signing in takes your password only.")
            return redirect("two-factor")
        if not enabled and twofactor.totp_confirm(user, token):
            flash.success(request, "Two-factor sign-in is on. Signing in will ask for a code from the app.")
            return redirect("two-factor")
        form.add_error("otp_token", "That code is not right. Enter the code the app shows now.")
    context = {"enabled": enabled, "form": form}
    if not enabled:
        device = twofactor.totp_pending(user)
        context.update(qr=twofactor.totp_qr_data_uri(device), secret=twofactor.totp_secret(device))
    return render(request, "registration/two_factor.html", context)
