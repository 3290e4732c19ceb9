"""Segments: saved rules over customers, combined with AND/OR, compiled to one ORM query.

A rule is JSON:

    {"all": [
        {"field": "stage", "op": "in", "value": ["active", "loyal"]},
        {"any": [
            {"field": "total_spent", "op": "gte", "value": "500"},
            {"field": "categories_bought", "op": "has_any", "value": ["Kitchen"]}
        ]}
    ]}

Fields on the customer's own columns are defined here; apps above register fields about what they own
(`categories_bought` from orders, `csat` from tickets) in their `AppConfig.ready()`, so this module never
imports them. A rule that cannot be compiled raises SegmentError naming the part at fault, such as
`all[1].any[0].value: total_spent compares to a number, not "lots"`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Q, QuerySet

from customers.models import Customer

MAX_DEPTH = 5
MAX_CONDITIONS = 50
MAX_NAMES = 500
# A hundred years: far enough back for any customer, near enough that the moment is a date.
MAX_DAYS = 36_500
COMPARISONS = {"eq": "", "ne": "", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte"}


class SegmentError(ValueError):
    def __init__(self, path: str, message: str):
        self.path, self.message = path, message
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    # What the value is: "choices", "number", "money", "days", "text", "texts", "bool"
    kind: str
    ops: tuple[str, ...]
    # build(op, value, now) -> Q over Customer, with the value already checked and converted.
    build: Callable[[str, object, datetime], Q]
    choices: tuple[str, ...] = ()


_fields: dict[str, Field] = {}


def field_register(field: Field) -> None:
    _fields[field.name] = field


def fields() -> list[Field]:
    return sorted(_fields.values(), key=lambda field: field.name)


# --- Compiling --------------------------------------------------------------------------------------


def segment_compile(rule, *, now: datetime) -> Q:
    counter = [0]
    return _node(rule, path="", depth=0, now=now, counter=counter)


def _node(node, *, path: str, depth: int, now: datetime, counter: list[int]) -> Q:
    if not isinstance(node, dict):
        raise SegmentError(path, "a rule is an object: {all: [...]}, {any: [...]} or {field, op, value}")
    if depth > MAX_DEPTH:
        raise SegmentError(path, f"rules nest {MAX_DEPTH} levels deep at most")
    groups = [key for key in ("all", "any") if key in node]
    if groups:
        if len(node) != 1:
            raise SegmentError(path, "a group has exactly one key, all or any")
        key = groups[0]
        children = node[key]
        if not isinstance(children, list) or not children:
            raise SegmentError(f"{path}{key}", "a group lists one condition or more")
        compiled = [
            _node(child, path=f"{path}{key}[{index}].", depth=depth + 1, now=now, counter=counter)
            for index, child in enumerate(children)
        ]
        combined = compiled[0]
        for part in compiled[1:]:
            combined = (combined & part) if key == "all" else (combined | part)
        return combined
    return _condition(node, path=path, now=now, counter=counter)


def _condition(node: dict, *, path: str, now: datetime, counter: list[int]) -> Q:
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise SegmentError(path, f"a segment has {MAX_CONDITIONS} conditions at most")
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        raise SegmentError(path, f"unknown key {sorted(unknown)[0]!r}; a condition has field, op and value")
    name = node.get("field")
    field = _fields.get(name) if isinstance(name, str) else None
    if field is None:
        raise SegmentError(f"{path}field", f"unknown field {name!r}; known: {', '.join(sorted(_fields))}")
    op = node.get("op")
    if op not in field.ops:
        raise SegmentError(f"{path}op", f"{field.name} takes {', '.join(field.ops)}, not {op!r}")
    if "value" not in node:
        raise SegmentError(f"{path}value", "a condition needs a value")
    value = _value(field, node["value"], path=f"{path}value")
    return field.build(op, value, now)


def _value(field: Field, value, *, path: str):
    kind = field.kind
    if kind in ("choices", "texts"):
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise SegmentError(path, f"{field.name} takes a list of names")
        # Cutting the list short would quietly change whom the rule selects.
        if len(value) > MAX_NAMES:
            raise SegmentError(path, f"{field.name} takes at most {MAX_NAMES} names, not {len(value)}")
        if kind == "choices":
            wrong = [v for v in value if v not in field.choices]
            if wrong:
                raise SegmentError(
                    path, f"{wrong[0]!r} is not a {field.name}; one of {', '.join(field.choices)}"
                )
        for text in value:
            _check_storable(text, path=path)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise SegmentError(path, f"{field.name} takes true or false")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise SegmentError(path, f"{field.name} takes a text")
        _check_storable(value, path=path)
        return value.strip()[:200]
    # number, money, days
    if isinstance(value, bool):
        raise SegmentError(path, f"{field.name} compares to a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise SegmentError(path, f"{field.name} compares to a number, not {value!r}") from None
    if not number.is_finite() or number < 0 or number > Decimal("1e12"):
        raise SegmentError(path, f"{field.name} compares to a number from 0 up, not {value!r}")
    if kind in ("number", "days") and number != number.to_integral_value():
        raise SegmentError(path, f"{field.name} compares to a whole number, not {value!r}")
    if kind == "days" and number > MAX_DAYS:
        raise SegmentError(path, f"{field.name} counts {MAX_DAYS} days at most, not {value!r}")
    return int(number) if kind in ("number", "days") else number


def _check_storable(text: str, *, path: str) -> None:
    # PostgreSQL refuses both NUL and a lone surrogate, in a query and in the saved rule's JSON.
    if "\x00" in text or any("\ud800" <= character <= "\udfff" for character in text):
        raise SegmentError(path, f"{text!r} holds characters that are not text (NUL or a lone surrogate)")


# --- Using a segment --------------------------------------------------------------------------------


def segment_customers(rule, *, now: datetime) -> QuerySet[Customer]:
    """The customers the rule selects (merged duplicates never). Every condition on related rows is a
    subquery, so no customer appears twice and no DISTINCT is needed."""
    return Customer.objects.filter(merged_into__isnull=True).filter(segment_compile(rule, now=now))


def segment_preview(rule, *, now: datetime, sample: int = 10) -> tuple[int, list[Customer]]:
    """How many, and the first few by id: two queries whatever the segment's size."""
    customers = segment_customers(rule, now=now)
    return customers.count(), list(customers.order_by("-pk")[:sample])


# --- The customer's own fields ----------------------------------------------------------------------


def compare(column: str) -> Callable[[str, object, datetime], Q]:
    def build(op: str, value, now: datetime) -> Q:
        condition = Q(**{f"{column}{COMPARISONS[op]}": value})
        return ~condition if op == "ne" else condition

    return build


def _in(column: str, *, upper: bool = False) -> Callable[[str, object, datetime], Q]:
    def build(op: str, value, now: datetime) -> Q:
        values = [v.strip().upper() for v in value] if upper else [v.strip() for v in value]
        condition = Q(**{f"{column}__in": values})
        return ~condition if op == "not_in" else condition

    return build


def _days_since(column: str) -> Callable[[str, object, datetime], Q]:
    """`recency_days gte 90`: 90 whole days or more have passed since the moment, counted as a person
    counts them: 90 days and 5 hours ago is 90 days ago, so it is `eq 90`, `gte 90` and `lte 90`, and
    neither `gt 90` nor `lt 90`. Never-set moments match no comparison (a prospect has no recency)."""

    def build(op: str, value, now: datetime) -> Q:
        # `value` whole days ago is the day that ends at `latest` and begins after `earliest`.
        latest = now - timedelta(days=value)
        earliest = latest - timedelta(days=1)
        at_most, after = f"{column}__lte", f"{column}__gt"
        same_day = Q(**{after: earliest, at_most: latest})
        conditions = {
            "eq": same_day,
            "ne": ~same_day & Q(**{f"{column}__isnull": False}),
            "gte": Q(**{at_most: latest}),
            "gt": Q(**{at_most: earliest}),
            "lt": Q(**{after: latest}),
            "lte": Q(**{after: earliest}),
        }
        return conditions[op]

    return build


def _tags(op: str, value, now: datetime) -> Q:
    names = sorted({name.strip() for name in value})
    # Subqueries, not joins: a customer with two of the tags is still one customer. Each reads the
    # customer-tag table alone (no join back to customers), and has_all is one grouped subquery rather
    # than one per name: PostgreSQL's planner takes seconds, then minutes, over a dozen or two subqueries
    # that each join customers again.
    holders = Customer.tags.through.objects.filter(tag__name__in=names).values("customer_id")
    if op == "has_any":
        return Q(pk__in=holders)
    if op == "has_none":
        return ~Q(pk__in=holders)
    return Q(pk__in=holders.annotate(held=Count("tag_id")).filter(held=len(names)).values("customer_id"))


NUMBER_OPS = tuple(COMPARISONS)
STAGES = tuple(Customer.Stage.values)
for _field in [
    Field("stage", "Lifecycle stage", "choices", ("in", "not_in"), _in("lifecycle_stage"), STAGES),
    Field("orders_count", "Orders", "number", NUMBER_OPS, compare("orders_count")),
    Field("total_spent", "Total spent", "money", NUMBER_OPS, compare("total_spent")),
    Field("recency_days", "Days since the last order", "days", NUMBER_OPS, _days_since("last_order_at")),
    Field("registered_days", "Days since registration", "days", NUMBER_OPS, _days_since("registered_at")),
    Field("rfm_recency", "RFM recency (1-5)", "number", NUMBER_OPS, compare("rfm_recency")),
    Field("rfm_frequency", "RFM frequency (1-5)", "number", NUMBER_OPS, compare("rfm_frequency")),
    Field("rfm_monetary", "RFM monetary (1-5)", "number", NUMBER_OPS, compare("rfm_monetary")),
    Field("country", "Country (ISO code)", "texts", ("in", "not_in"), _in("country", upper=True)),
    Field("city", "City", "texts", ("in", "not_in"), _in("city")),
    Field(
        "acquisition_channel", "Acquisition channel", "texts", ("in", "not_in"), _in("acquisition_channel")
    ),
    Field(
        "marketing_opt_in",
        "Marketing consent",
        "bool",
        ("is",),
        lambda op, value, now: Q(marketing_opt_in=value),
    ),
    Field("tags", "Tags", "texts", ("has_any", "has_all", "has_none"), _tags),
]:
    field_register(_field)
