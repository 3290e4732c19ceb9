"""Writes to customers and their identities. Recording what happened on the journey (the Event log)
is the job of lifecycle.services, which calls these inside its own transaction."""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from carecrm.errors import Conflict
from customers.models import AccessRecord, Customer, CustomerIdentity, Tag

PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "registered_at",
    "acquisition_channel",
    "country",
    "city",
    "time_zone",
)
_PHONE_JUNK = re.compile(r"[\s\-().\u00a0/]")


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def normalize_phone(value: str) -> str:
    """+digits (E.164 shape). Separators are dropped; anything else is refused."""
    stripped = _PHONE_JUNK.sub("", value or "")
    if not stripped:
        return ""
    if stripped.startswith("00"):
        stripped = "+" + stripped[2:]
    digits = stripped.removeprefix("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        raise ValidationError(
            {"phone": ["Enter a phone number of 6 to 15 digits, optionally starting with +."]}
        )
    return stripped if stripped.startswith("+") else digits


def normalize_identity(kind: str, value: str) -> str:
    if kind == CustomerIdentity.Kind.EMAIL:
        return normalize_email(value)
    if kind == CustomerIdentity.Kind.PHONE:
        return normalize_phone(value)
    return (value or "").strip()


@dataclass
class CustomerSaved:
    customer: Customer
    created: bool
    changed: list[str] = field(default_factory=list)
    # None when consent did not change, else the new opt-in value.
    consent_now: bool | None = None


def customer_save(*, data: dict, source: str, now: datetime) -> CustomerSaved:
    """Create or update the customer that `data` names by external_id, else by email.

    Fields absent from `data` are kept. Must run inside a transaction. A concurrent create of the same
    customer loses the unique-constraint race and is retried as an update, so a burst of identical
    requests leaves one customer.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _customer_save_once(data=data, source=source, now=now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _customer_save_once(*, data: dict, source: str, now: datetime) -> CustomerSaved:
    external_id = data.get("external_id") or None
    email = normalize_email(data.get("email", ""))
    phone = normalize_phone(data.get("phone", "")) if data.get("phone") else ""
    if not external_id and not email:
        raise ValidationError({"external_id": ["Send an external_id or an email to identify the customer."]})

    by_external = _locked(Customer.objects.filter(external_id=external_id)) if external_id else None
    if by_external and by_external.merged_into_id:
        # The store still knows a merged duplicate by its old id: that customer lives on in the survivor.
        by_external = _locked(Customer.objects.filter(pk=by_external.merged_into_id))
        external_id = by_external.external_id
    by_email = (
        _locked(Customer.objects.filter(identities__kind="email", identities__value=email)) if email else None
    )
    if external_id and not by_external and by_email and by_email.external_id == external_id:
        # Under READ COMMITTED each lookup sees what was committed when it began: a concurrent request
        # that created this very customer can commit between the two, and that is no conflict.
        by_external = by_email
    if by_external and by_email and by_external.pk != by_email.pk:
        raise Conflict(
            f"{email} belongs to another customer (id {by_email.pk}); merge the two customers first.",
            field="email",
        )
    if not by_external and by_email and by_email.external_id and external_id:
        raise Conflict(
            f"{email} belongs to the customer with external_id {by_email.external_id}.", field="email"
        )

    customer = by_external or by_email
    created = customer is None
    if created:
        customer = Customer(external_id=external_id, email=email, phone=phone, registered_at=now)
    changed = []
    if external_id and customer.external_id != external_id:
        customer.external_id = external_id
        changed.append("external_id")
    if email and customer.email != email:
        customer.email = email
        changed.append("email")
    if phone and customer.phone != phone:
        customer.phone = phone
        changed.append("phone")
    for name in PROFILE_FIELDS:
        if name in data and data[name] is not None and getattr(customer, name) != data[name]:
            setattr(customer, name, data[name])
            changed.append(name)

    consent_now = None
    if "marketing_opt_in" in data and (
        created or bool(data["marketing_opt_in"]) != customer.marketing_opt_in
    ):
        customer.marketing_opt_in = bool(data["marketing_opt_in"])
        customer.marketing_opt_in_at = data.get("marketing_opt_in_at") or now
        customer.marketing_opt_in_source = data.get("marketing_opt_in_source") or source
        consent_now = customer.marketing_opt_in
        changed.append("marketing_opt_in")

    # Uniqueness is the database's to enforce (and race-free there); this checks lengths and formats.
    customer.full_clean(exclude=["merged_into"], validate_unique=False, validate_constraints=False)
    if created:
        customer.save()
    elif changed:
        consent_fields = ["marketing_opt_in_at", "marketing_opt_in_source"] if consent_now is not None else []
        customer.save(update_fields=[*changed, *consent_fields, "updated_at"])
    # An address already known as this customer's needs no second look.
    if email and (by_email is None or by_email.pk != customer.pk):
        identity_attach(customer=customer, kind=CustomerIdentity.Kind.EMAIL, value=email)
    if phone and (created or "phone" in changed):
        identity_attach(customer=customer, kind=CustomerIdentity.Kind.PHONE, value=phone)
    if "tags" in data and data["tags"] is not None:
        customer_tags_set(customer=customer, names=data["tags"], known=not created)
    return CustomerSaved(customer=customer, created=created, changed=changed, consent_now=consent_now)


def _locked(queryset) -> Customer | None:
    return queryset.select_for_update(of=("self",)).order_by("pk").first()


def customer_by_email(email: str) -> Customer | None:
    """The customer who owns this address as one of their identities, following merges to the survivor."""
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=CustomerIdentity.Kind.EMAIL, value=normalize_email(email))
        .first()
    )
    if identity is None:
        return None
    customer = identity.customer
    while customer.merged_into_id:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def identity_attach(*, customer: Customer, kind: str, value: str) -> CustomerIdentity:
    """Attach an address to the customer. An address that already belongs to someone else is a
    conflict, never a silent move: that is what customer merge is for."""
    value = normalize_identity(kind, value)
    identity, _ = CustomerIdentity.objects.get_or_create(
        kind=kind, value=value, defaults={"customer": customer}
    )
    if identity.customer_id != customer.pk:
        raise Conflict(
            f"The {kind} {value} belongs to another customer (id {identity.customer_id}).", field=kind
        )
    return identity


def customer_tags_set(*, customer: Customer, names: list[str], known: bool = True) -> None:
    """Give the customer exactly these tags. `known=False` for a customer created just now, who has none."""
    names = sorted({name.strip() for name in names if name.strip()})
    if known and sorted(customer.tags.values_list("name", flat=True)) == names:
        return
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    customer.tags.set(Tag.objects.filter(name__in=names))


def customer_merge_rows(*, survivor: Customer, duplicate: Customer) -> dict:
    """Move everything that points at `duplicate` onto `survivor`, fold the summary columns together
    and leave the duplicate as a tombstone pointing at the survivor. Must run inside a transaction;
    both rows must be locked by the caller. Returns how many rows of each kind moved."""
    if survivor.pk == duplicate.pk:
        raise ValidationError("A customer cannot be merged into itself.")
    if duplicate.merged_into_id or survivor.merged_into_id:
        raise ValidationError("One of these customers has already been merged.")

    moved = {}
    # Every relation pointing at Customer, including the ones apps above add later (orders, tickets…).
    for relation in Customer._meta.related_objects:
        if relation.many_to_many or relation.related_model is Customer:
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: duplicate}).update(
            **{relation.field.name: survivor}
        )
        if count:
            moved[relation.related_model._meta.label_lower] = count
    survivor.tags.add(*duplicate.tags.all())

    survivor.orders_count += duplicate.orders_count
    survivor.total_spent += duplicate.total_spent
    survivor.first_order_at = _earliest(survivor.first_order_at, duplicate.first_order_at)
    survivor.last_order_at = _latest(survivor.last_order_at, duplicate.last_order_at)
    survivor.registered_at = min(survivor.registered_at, duplicate.registered_at)
    for name in ("phone", "first_name", "last_name", "acquisition_channel", "country", "city", "time_zone"):
        if not getattr(survivor, name):
            setattr(survivor, name, getattr(duplicate, name))
    # The most recent decision about marketing consent is the one that stands.
    if (duplicate.marketing_opt_in_at or duplicate.created_at) > (
        survivor.marketing_opt_in_at or survivor.created_at
    ):
        survivor.marketing_opt_in = duplicate.marketing_opt_in
        survivor.marketing_opt_in_at = duplicate.marketing_opt_in_at
        survivor.marketing_opt_in_source = duplicate.marketing_opt_in_source

    duplicate_external_id = duplicate.external_id
    duplicate.merged_into = survivor
    duplicate.email = ""
    duplicate.marketing_opt_in = False
    if not survivor.external_id and duplicate_external_id:
        duplicate.external_id = None
        duplicate.save()
        survivor.external_id = duplicate_external_id
    else:
        duplicate.save()
    survivor.save()
    return moved


def _earliest(a, b):
    return min(x for x in (a, b) if x) if (a or b) else None


def _latest(a, b):
    return max(x for x in (a, b) if x) if (a or b) else None


def access_record(*, customer_id: int, actor: str, action: str, now: datetime, detail: str = "") -> None:
    """Note that a staff member did `action` to a customer's data (the audit the console shows)."""
    AccessRecord.objects.create(
        customer_id=customer_id, actor=actor[:150], action=action, detail=detail[:200], at=now
    )
