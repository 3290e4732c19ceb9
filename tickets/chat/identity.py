"""Who is on the other end of the widget. A store that knows its shopper signs a JWT (HS256) with the
shared secret CARECRM_CHAT_IDENTITY_SECRET and puts it in the widget's `data-token`:

    {"aud": "carecrm-chat", "external_id": "C-1042", "email": "ada@example.com", "first_name": "Ada",
     "last_name": "Lovelace", "exp": <unix time, at most a day ahead>, "jti": "<random, unique per token>"}

The audience keeps any other token the store signs with the same secret from passing for this one.

`external_id` or `email` names the customer (as in the store's API pushes). Each `jti` opens one
session: the second time a token is shown it is refused, so a token copied from a page or a log opens
nothing. A token never reads a chat either: that takes the per-chat key the widget was given when it
started the chat. A visitor without a token types an email address, which the console marks unverified."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers.models import Customer
from orders.services import store_customer
from tickets.models import ChatTokenUse

# Tokens living longer than this are refused: the nonce table only has to remember a day.
MAX_LIFETIME = timedelta(days=1)
CLOCK_SKEW = timedelta(seconds=60)
AUDIENCE = "carecrm-chat"
SESSION_SALT = "tickets.chat.identity"


class IdentityRefused(Exception):
    """The token is not one the store signed for this moment; the message says why, for the widget."""


@dataclass(frozen=True)
class Identity:
    customer: Customer
    name: str
    expires: datetime


def identity_token(claims: dict, *, secret: str | None = None) -> str:
    """A token as a store would sign it (the tests use this)."""
    claims = {"aud": AUDIENCE, **claims}
    return jwt.encode(claims, secret or settings.CARECRM["CHAT_IDENTITY_SECRET"], algorithm="HS256")


def identity_verify(token: str, *, now: datetime) -> Identity:
    """The customer a store-signed token names. Refuses a bad signature, another algorithm, an expired
    or too long-lived token and one already used; creates the customer the store names if it is new."""
    secret = settings.CARECRM["CHAT_IDENTITY_SECRET"]
    if not secret:
        raise IdentityRefused("Signed-in chat is not set up; give your email address instead.")
    try:
        claims = jwt.decode(
            token[:4096],
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            options={"require": ["exp", "jti", "aud"], "verify_exp": False},
        )
    except jwt.PyJWTError as error:
        raise IdentityRefused("The sign-in token is not valid.") from error
    try:
        expires = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as error:
        raise IdentityRefused("The sign-in token has no valid expiry.") from error
    if expires < now - CLOCK_SKEW:
        raise IdentityRefused("The sign-in token has expired; reload the page.")
    if expires > now + MAX_LIFETIME + CLOCK_SKEW:
        raise IdentityRefused("The sign-in token lives longer than a day.")
    nonce = claims.get("jti")
    if not isinstance(nonce, str) or not 8 <= len(nonce) <= 64:
        raise IdentityRefused("The sign-in token needs a jti of 8 to 64 characters.")
    ref = {
        field: str(claims[field])[:254]
        for field in ("external_id", "email", "first_name", "last_name")
        if isinstance(claims.get(field), str | int) and str(claims[field]).strip()
    }
    if not ref.get("external_id") and not ref.get("email"):
        raise IdentityRefused("The sign-in token names no customer (external_id or email).")
    try:
        with transaction.atomic():
            ChatTokenUse.objects.create(nonce=nonce, expires_at=expires)
            customer = store_customer(ref=ref, at=now, source="chat")
    except IntegrityError as error:
        if ChatTokenUse.objects.filter(nonce=nonce).exists():
            raise IdentityRefused("This sign-in token was already used; reload the page.") from error
        raise IdentityRefused("The customer this token names could not be stored.") from error
    except ValidationError as error:
        raise IdentityRefused("; ".join(error.messages)) from error
    name = f"{customer.first_name} {customer.last_name}".strip()
    return Identity(customer=customer, name=name, expires=expires)


def identity_session(identity: Identity, *, visitor: str) -> str:
    """What the widget keeps once a token was accepted, so that a reconnect (the token being spent) is
    still the same customer: signed by us, bound to the widget's visitor id, good until the token expires."""
    claims = {"customer": identity.customer.pk, "visitor": visitor, "exp": int(identity.expires.timestamp())}
    return signing.dumps(claims, salt=SESSION_SALT)


def identity_resume(value, *, visitor: str, now: datetime) -> Identity | None:
    if not isinstance(value, str) or not visitor:
        return None
    try:
        claims = signing.loads(value[:500], salt=SESSION_SALT, max_age=MAX_LIFETIME)
    except signing.BadSignature:
        return None
    if not isinstance(claims, dict) or claims.get("visitor") != visitor:
        return None
    expires = datetime.fromtimestamp(int(claims.get("exp", 0)), tz=UTC)
    if expires < now:
        return None
    customer = Customer.objects.filter(pk=claims.get("customer"), merged_into__isnull=True).first()
    if customer is None:
        return None
    return Identity(
        customer=customer, name=f"{customer.first_name} {customer.last_name}".strip(), expires=expires
    )


def token_uses_purge(*, now: datetime) -> str:
    """A tick job: nonces of expired tokens (an expired token is refused before its nonce is looked at)."""
    deleted, _ = ChatTokenUse.objects.filter(expires_at__lt=now - CLOCK_SKEW).delete()
    return f"{deleted} used chat tokens forgotten"
