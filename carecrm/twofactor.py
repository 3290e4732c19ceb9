"""The optional second factor for staff: a TOTP authenticator app (RFC 6238), kept by django-otp.

A staff member turns it on from /accounts/two-factor/ by scanning a QR code and typing the code the app
shows; from then on signing in asks for the current code after the password. django-otp's device checks
the code against the time step and its neighbours, refuses a code used once already, and slows down
guessing (each failure doubles the wait before the next try is checked). Sessions opened before it was
turned on stay open until they end or the member signs out.
"""

import base64
import io

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"


def totp_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_pending(user) -> TOTPDevice:
    """The device being set up: a new secret, kept unconfirmed until the member types a code from it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def totp_confirm(user, token: str) -> bool:
    """Turn the second factor on when `token` is a current code of the device being set up."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    if device is None or not device.verify_token(_digits(token)):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return True


@transaction.atomic
def totp_disable(user, token: str) -> bool:
    """Turn the second factor off, which takes a current code: a session left open is not enough."""
    if not totp_verify(user, token):
        return False
    TOTPDevice.objects.filter(user=user).delete()
    return True


def totp_verify(user, token: str) -> bool:
    """Whether `token` is a current, unused code of one of the user's confirmed devices."""
    token = _digits(token)
    return bool(token) and any(
        device.verify_token(token) for device in TOTPDevice.objects.filter(user=user, confirmed=True)
    )


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as a QR code, an SVG in a data: URI (the page's policy allows data:
    images and nothing inline)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _digits(token: str) -> str:
    return "".join(ch for ch in (token or "") if not ch.isspace())[:10]
