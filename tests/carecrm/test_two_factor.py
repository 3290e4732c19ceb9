"""The optional second factor for staff: a member turns on an authenticator app by scanning its QR code
and typing a code; signing in then needs the current code after the password, a code works once, and
turning it off takes a code too. The admin signs in through the same page."""

import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What the member's app shows now (or `steps_ahead` periods of 30 s later, within the tolerance)."""
    device.refresh_from_db()
    return (
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead):06d}"
    )


def sign_in(client, username: str, token: str = ""):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD, "otp_token": token})


@pytest.fixture
def member(client, settings):
    # Each failure makes django-otp wait before it checks the next code; only the throttling test waits.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = UserFactory(username="mina", role="manager", password=PASSWORD)
    client.force_login(user)
    return user


def turn_on(client) -> TOTPDevice:
    page = client.get("/accounts/two-factor/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    device = TOTPDevice.objects.get(confirmed=False)
    client.post("/accounts/two-factor/", {"otp_token": code(device)})
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_member_turns_it_on_with_a_code_from_the_scanned_secret(client, member):
    page = client.get("/accounts/two-factor/").content.decode()
    pending = TOTPDevice.objects.get(user=member)
    shown_key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)[1].replace(" ", "")

    wrong = client.post(
        "/accounts/two-factor/", {"otp_token": "000000" if code(pending) != "000000" else "111111"}
    )
    right = client.post("/accounts/two-factor/", {"otp_token": code(pending)})

    assert base64.b32decode(shown_key + "=" * (-len(shown_key) % 8)) == pending.bin_key
    assert "That code is not right" in wrong.content.decode()
    assert right.status_code == 302
    pending.refresh_from_db()
    assert pending.confirmed
    assert "Two-factor sign-in is on" in client.get("/accounts/two-factor/").content.decode()


def test_once_on_signing_in_takes_the_password_and_a_current_code(client, member):
    device = turn_on(client)
    client.logout()

    without = sign_in(client, "mina")
    wrong = sign_in(client, "mina", "12345x")
    assert "_auth_user_id" not in client.session
    right = sign_in(client, "mina", code(device, steps_ahead=1))

    assert (
        without.status_code == 200
        and "Enter the code your authenticator app shows" in without.content.decode()
    )
    assert wrong.status_code == 200 and "not right or was used already" in wrong.content.decode()
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def test_a_code_signs_in_once_only(client, member):
    device = turn_on(client)
    client.logout()
    token = code(device, steps_ahead=1)
    assert sign_in(client, "mina", token).status_code == 302
    client.logout()

    replayed = sign_in(client, "mina", token)

    assert replayed.status_code == 200
    assert "_auth_user_id" not in client.session


def test_after_a_wrong_code_even_the_right_one_waits(client, member, settings):
    device = turn_on(client)
    client.logout()
    settings.OTP_TOTP_THROTTLE_FACTOR = 60

    sign_in(client, "mina", "000000" if code(device, steps_ahead=1) != "000000" else "111111")
    right_too_soon = sign_in(client, "mina", code(device, steps_ahead=1))

    assert right_too_soon.status_code == 200
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_a_wrong_password_with_a_right_code_is_still_refused(client, member):
    device = turn_on(client)
    client.logout()

    response = client.post(
        "/accounts/login/",
        {"username": "mina", "password": "not it", "otp_token": code(device, steps_ahead=1)},
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_members_without_it_sign_in_with_their_password_alone(client):
    UserFactory(username="alex", role="agent", password=PASSWORD)

    assert sign_in(client, "alex").status_code == 302


def test_turning_it_off_takes_a_current_code(client, member):
    device = turn_on(client)

    refused = client.post(
        "/accounts/two-factor/", {"otp_token": "999999" if code(device) != "999999" else "888888"}
    )
    still_on = TOTPDevice.objects.filter(user=member, confirmed=True).exists()
    accepted = client.post("/accounts/two-factor/", {"otp_token": code(device, steps_ahead=1)})

    assert refused.status_code == 200 and still_on
    assert accepted.status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()


def test_the_admin_signs_in_through_the_same_page(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
