"""Properties of segment rules (lifecycle.segments): the database selects exactly the customers that a
plain reading of the rule, written here in Python, selects; days since are whole days, so fewer, as many
and more never overlap; a list of names selects the same in any order; a rule as large as the limits
allow runs in moments; and any rule, however hostile, runs or is refused with a SegmentError naming the
part at fault."""

import math
import operator
import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import example, given
from hypothesis import strategies as st

from customers.models import Customer, Tag
from lifecycle.models import Segment
from lifecycle.segments import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_NAMES,
    NUMBER_OPS,
    SegmentError,
    fields,
    segment_compile,
    segment_customers,
    segment_preview,
)
from tests.properties import rolled_back

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STAGES = list(Customer.Stage.values)
COUNTRIES = ["DE", "FR", "GB", ""]
CITIES = ["Berlin", "berlin", "Lyon", "Zürich", "São Paulo", ""]
CHANNELS = ["instagram", "google", "Google", ""]
TAGS = ["vip", "Vip", "wholesale", "late payer"]
COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}

# --- A population of customers ----------------------------------------------------------------------

# Moments a few days around NOW, with the offsets where whole days begin and end (and a few in the
# future, a clock skew away), so "days since" comparisons meet their boundaries.
moments = st.builds(
    lambda days, seconds: NOW - timedelta(days=days, seconds=seconds),
    st.integers(min_value=-1, max_value=6),
    st.sampled_from([0, 1, 3600, 43200, 86399]),
)

people = st.fixed_dictionaries(
    {
        "lifecycle_stage": st.sampled_from(STAGES),
        "orders_count": st.integers(min_value=0, max_value=5),
        "total_spent": st.decimals(min_value=0, max_value=1000, places=2),
        "last_order_at": st.none() | moments,
        "registered_at": moments,
        "rfm_recency": st.none() | st.integers(min_value=1, max_value=5),
        "rfm_frequency": st.none() | st.integers(min_value=1, max_value=5),
        "rfm_monetary": st.none() | st.integers(min_value=1, max_value=5),
        "loyalty_points": st.integers(min_value=0, max_value=2000),
        "country": st.sampled_from(COUNTRIES),
        "city": st.sampled_from(CITIES),
        "acquisition_channel": st.sampled_from(CHANNELS),
        "marketing_opt_in": st.booleans(),
        "tags": st.sets(st.sampled_from(TAGS), max_size=3),
        "merged": st.booleans(),
    }
)


def customers_create(population: list[dict]) -> dict[int, dict]:
    """The people as customer rows (the first is never a merged tombstone: the others merge into it)."""
    rows = Customer.objects.bulk_create(
        Customer(
            email=f"p{index}@mail.example",
            **{name: value for name, value in person.items() if name not in ("tags", "merged")},
        )
        for index, person in enumerate(population)
    )
    survivor = rows[0].pk if rows else None
    tombstones = [row.pk for row, person in zip(rows[1:], population[1:], strict=True) if person["merged"]]
    Customer.objects.filter(pk__in=tombstones).update(merged_into=survivor)
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
    Customer.tags.through.objects.bulk_create(
        Customer.tags.through(customer_id=row.pk, tag_id=tags[name].pk)
        for row, person in zip(rows, population, strict=True)
        for name in person["tags"]
    )
    return {
        row.pk: {**person, "merged": row.pk in tombstones}
        for row, person in zip(rows, population, strict=True)
    }


# --- Rules, and the plain reading of a rule ---------------------------------------------------------


def number_text(n: int):
    """A whole number as a store's script or a marketer might write it."""
    return st.sampled_from([n, str(n), f"{n}.0", f"{n}e0", f" {n} "])


def condition(field: str, ops, values):
    return st.fixed_dictionaries({"field": st.just(field), "op": st.sampled_from(ops), "value": values})


def names(pool):
    return st.lists(st.sampled_from(pool), min_size=1, max_size=4)


conditions = st.one_of(
    condition("stage", ["in", "not_in"], names(STAGES)),
    *(
        condition(field, NUMBER_OPS, st.integers(min_value=0, max_value=6).flatmap(number_text))
        for field in ("orders_count", "rfm_recency", "rfm_frequency", "rfm_monetary")
    ),
    condition("loyalty_points", NUMBER_OPS, st.integers(min_value=0, max_value=2100).flatmap(number_text)),
    condition(
        "total_spent",
        NUMBER_OPS,
        st.decimals(min_value=0, max_value=1001, places=3).flatmap(lambda d: st.sampled_from([str(d), d])),
    ),
    *(
        condition(field, NUMBER_OPS, st.integers(min_value=0, max_value=7).flatmap(number_text))
        for field in ("recency_days", "registered_days")
    ),
    condition("country", ["in", "not_in"], names(["de", "DE", " fr ", "gb", "XX"])),
    condition("city", ["in", "not_in"], names([*filter(None, CITIES), " Lyon ", "Paris"])),
    condition("acquisition_channel", ["in", "not_in"], names([*filter(None, CHANNELS), "tiktok"])),
    condition("marketing_opt_in", ["is"], st.booleans()),
    condition("tags", ["has_any", "has_all", "has_none"], names([*TAGS, " vip ", "blocked"])),
)

rules = st.recursive(
    conditions,
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, min_size=1, max_size=3)),
    ),
    max_leaves=8,
)


def depth(rule) -> int:
    group = rule.get("all", rule.get("any"))
    return 0 if group is None else 1 + max(depth(child) for child in group)


def number(value) -> Decimal:
    return Decimal(str(value).strip())


def whole_days_since(moment: datetime | None) -> int | None:
    return None if moment is None else math.floor((NOW - moment) / timedelta(days=1))


def selects(rule: dict, person: dict) -> bool:
    """The rule read plainly, one customer at a time."""
    if "all" in rule:
        return all(selects(child, person) for child in rule["all"])
    if "any" in rule:
        return any(selects(child, person) for child in rule["any"])
    field, op, value = rule["field"], rule["op"], rule["value"]
    if field == "stage":
        return (person["lifecycle_stage"] in value) == (op == "in")
    if field in ("orders_count", "rfm_recency", "rfm_frequency", "rfm_monetary", "loyalty_points"):
        # A customer without a score has no score equal to 5, and none above or below it either.
        have = person[field]
        return op == "ne" if have is None else COMPARE[op](have, number(value))
    if field == "total_spent":
        return COMPARE[op](person["total_spent"], number(value))
    if field in ("recency_days", "registered_days"):
        # Days since: whole days passed, as a person counts them; a customer who never ordered has none.
        column = "last_order_at" if field == "recency_days" else "registered_at"
        days = whole_days_since(person[column])
        return days is not None and COMPARE[op](days, int(number(value)))
    if field == "country":
        return (person["country"] in {v.strip().upper() for v in value}) == (op == "in")
    if field in ("city", "acquisition_channel"):
        return (person[field] in {v.strip() for v in value}) == (op == "in")
    if field == "marketing_opt_in":
        return person["marketing_opt_in"] is value
    if field == "tags":
        wanted = {v.strip() for v in value}
        if op == "has_all":
            return wanted <= person["tags"]
        held = bool(wanted & person["tags"])
        return held if op == "has_any" else not held
    raise AssertionError(f"no plain reading of {field}")


@given(population=st.lists(people, max_size=6), segment_rules=st.lists(rules, min_size=1, max_size=4))
@example(
    # 3 days and 12 hours since the last order: three days ago, neither more nor less
    population=[{**dict.fromkeys(["rfm_recency", "rfm_frequency", "rfm_monetary"]), "merged": False,
                 "lifecycle_stage": "active", "orders_count": 2, "total_spent": Decimal("10.00"),
                 "last_order_at": NOW - timedelta(days=3, hours=12), "registered_at": NOW,
                 "loyalty_points": 0, "country": "DE", "city": "Berlin", "acquisition_channel": "",
                 "marketing_opt_in": True, "tags": set()}],
    segment_rules=[{"field": "recency_days", "op": op, "value": 3} for op in NUMBER_OPS],
)  # fmt: skip
def test_the_database_selects_exactly_whom_a_plain_reading_of_the_rule_selects(population, segment_rules):
    with rolled_back():
        # given some customers, a few of them merged into the first
        customers = customers_create(population)

        for rule in segment_rules:
            if depth(rule) > MAX_DEPTH:
                # (a rule nested too deep is refused, naming where)
                with pytest.raises(SegmentError, match="levels deep"):
                    segment_compile(rule, now=NOW)
                continue

            # when the rule is run by the database
            selected = set(segment_customers(rule, now=NOW).values_list("pk", flat=True))

            # then it selects exactly the customers the plain reading selects, and never a merged one
            expected = {
                pk for pk, person in customers.items() if not person["merged"] and selects(rule, person)
            }
            assert selected == expected, rule


@given(
    population=st.lists(people, min_size=1, max_size=6),
    field=st.sampled_from(["recency_days", "registered_days"]),
    days=st.integers(min_value=0, max_value=7),
)
def test_days_since_are_whole_days_so_fewer_as_many_and_more_never_overlap(population, field, days):
    with rolled_back():
        # given customers whose moments fall anywhere in the days around now
        customers_create(population)
        column = "last_order_at" if field == "recency_days" else "registered_at"
        dated = set(
            Customer.objects.filter(merged_into__isnull=True, **{f"{column}__isnull": False}).values_list(
                "pk", flat=True
            )
        )

        # when each comparison with the same number of days is run
        chosen = {
            op: set(
                segment_customers({"field": field, "op": op, "value": days}, now=NOW).values_list(
                    "pk", flat=True
                )
            )
            for op in NUMBER_OPS
        }

    # then each dated customer is fewer days ago, as many, or more: exactly one of the three
    assert chosen["lt"] | chosen["eq"] | chosen["gt"] == dated
    assert (
        not chosen["lt"] & chosen["eq"]
        and not chosen["eq"] & chosen["gt"]
        and not chosen["lt"] & chosen["gt"]
    )
    # and "at most" and "at least" include "as many"; "not as many" is everyone else who has the date
    assert chosen["lte"] == chosen["lt"] | chosen["eq"]
    assert chosen["gte"] == chosen["gt"] | chosen["eq"]
    assert chosen["ne"] == dated - chosen["eq"]


@given(
    population=st.lists(people, min_size=1, max_size=4),
    field=st.sampled_from(["city", "acquisition_channel", "tags", "country"]),
    op_index=st.integers(min_value=0, max_value=2),
    fillers=st.integers(min_value=0, max_value=600),
    shuffle=st.randoms(use_true_random=False),
)
@example(population=[{**dict.fromkeys(["rfm_recency", "rfm_frequency", "rfm_monetary", "last_order_at"]),
                      "merged": False, "lifecycle_stage": "new", "orders_count": 0, "total_spent": Decimal(0),
                      "registered_at": NOW, "loyalty_points": 0, "country": "", "city": "Lyon",
                      "acquisition_channel": "", "marketing_opt_in": False, "tags": set()}],
         field="city", op_index=0, fillers=600, shuffle=random.Random(0))  # fmt: skip
def test_a_list_of_names_selects_the_same_whatever_its_order_or_is_refused_as_too_long(
    population, field, op_index, fillers, shuffle
):
    # given a list of names, the customers' own after many others
    known = {"city": CITIES, "acquisition_channel": CHANNELS, "tags": TAGS, "country": COUNTRIES}[field]
    listed = [f"Other place {n}" for n in range(fillers)] + [name for name in known if name]
    shuffled = shuffle.sample(listed, len(listed))
    ops = next(f.ops for f in fields() if f.name == field)
    op = ops[op_index % len(ops)]

    with rolled_back():
        customers_create(population)

        # when the same names are given in one order and in another
        try:
            as_listed = set(segment_customers({"field": field, "op": op, "value": listed}, now=NOW))
        except SegmentError as refused:
            # then a list too long is refused whatever its order, never cut short
            assert "at most" in refused.message
            with pytest.raises(SegmentError):
                segment_compile({"field": field, "op": op, "value": shuffled}, now=NOW)
            return
        as_shuffled = set(segment_customers({"field": field, "op": op, "value": shuffled}, now=NOW))

        # then the same customers are selected
        assert as_listed == as_shuffled


# --- Rules as large as allowed ----------------------------------------------------------------------


@contextmanager
def statement_timeout(seconds: int):
    """On PostgreSQL a statement that runs longer fails, instead of holding up the whole run. Inside
    rolled_back: undoing the savepoint undoes the setting."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [f"{seconds}s"])
    yield


def numbered(count: int) -> list[str]:
    return [f"name {n}" for n in range(count)]


# The conditions that read other tables (each one a subquery), with lists up to the longest allowed.
subquery_conditions = st.one_of(
    st.builds(
        lambda op, count: {"field": "tags", "op": op, "value": numbered(count)},
        st.sampled_from(["has_any", "has_all", "has_none"]),
        st.integers(min_value=1, max_value=MAX_NAMES),
    ),
    st.builds(
        lambda op, count: {"field": "categories_bought", "op": op, "value": numbered(count)},
        st.sampled_from(["has_any", "has_none"]),
        st.integers(min_value=1, max_value=MAX_NAMES),
    ),
    st.builds(
        lambda op, rating: {"field": "csat", "op": op, "value": rating},
        st.sampled_from(NUMBER_OPS),
        st.integers(min_value=1, max_value=5),
    ),
)
large_rules = st.builds(
    lambda group, conditions: {group: conditions},
    st.sampled_from(["all", "any"]),
    st.lists(subquery_conditions, min_size=1, max_size=MAX_CONDITIONS),
)


@given(rule=large_rules)
@example(rule={"field": "tags", "op": "has_all", "value": numbered(MAX_NAMES)})
@example(
    rule={"all": [{"field": "tags", "op": "has_any", "value": [name]} for name in numbered(MAX_CONDITIONS)]}
)
@example(
    rule={
        "all": [
            {"field": field, "op": "has_none", "value": numbered(MAX_NAMES)}
            for field in ["tags", "categories_bought"] * (MAX_CONDITIONS // 2)
        ]
    }
)
def test_a_rule_as_large_as_the_limits_allow_runs_in_moments(rule):
    # when a rule with as many conditions and names as allowed is counted and previewed
    with rolled_back(), statement_timeout(5):
        count, sample = segment_preview(rule, now=NOW)

    # then the database answered (PostgreSQL once planned such rules for minutes)
    assert count == len(sample) == 0


# --- Hostile rules ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # the admin's JSON reader takes NaN and Infinity
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
# Values of the right shape but hostile content: what PostgreSQL cannot store (NUL, lone surrogates),
# numbers at and past every limit, long lists, blank names.
hostile_values = st.one_of(
    json_values,
    st.lists(st.text(max_size=8), min_size=1, max_size=3),
    st.lists(st.sampled_from(["\x00", "a\x00b", "\ud800", " ", "DE", "vip", "Kitchen", "Gold"]), min_size=1),
    st.integers(min_value=-(10**13), max_value=10**13),
    st.sampled_from(["1e12", "1e13", "999999999999", "0.5", "-0", "1e-30", "NaN", "Infinity", "1_000", "٣"]),
    st.sampled_from([10**12, 36_500, 36_501, 10**6, 2**31, 2**63, 1e12, 1e300]),
)
# Mostly a known field with one of its operators, so the values are what gets tested.
hostile_conditions = st.sampled_from(fields()).flatmap(
    lambda field: st.fixed_dictionaries(
        {
            "field": st.just(field.name),
            "op": st.sampled_from(field.ops) | st.text(max_size=3),
            "value": hostile_values,
        }
    )
)
near_rules = st.recursive(
    st.one_of(
        hostile_conditions,
        json_values,
        st.fixed_dictionaries(
            {"field": st.text(max_size=5), "op": st.text(max_size=3), "value": json_values}
        ),
    ),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3) | children),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda a, b: {"all": a, "any": b}, st.lists(children, max_size=1), st.lists(children)),
    ),
    max_leaves=10,
)


@given(rule=near_rules)
@example(rule={"field": "recency_days", "op": "gte", "value": 10**6})
@example(rule={"field": "registered_days", "op": "lt", "value": "1e12"})
@example(rule={"field": "city", "op": "in", "value": ["Ber\x00lin"]})
@example(rule={"field": "tags", "op": "has_any", "value": ["\ud800"]})
@example(rule={"field": "csat", "op": "gte", "value": 10**12})
@example(rule={"field": "rfm_recency", "op": "eq", "value": 2**40})
@example(rule={"all": [{"field": "stage", "op": "in", "value": ["new"]}] * (MAX_CONDITIONS + 1)})
def test_any_rule_is_refused_naming_the_part_at_fault_or_runs(rule):
    # when any JSON at all is compiled as a rule
    try:
        segment_compile(rule, now=NOW)
    except SegmentError as refused:
        # then a refusal names the part at fault and says what is wrong there
        assert refused.message
        assert str(refused).startswith(refused.path)
        # and a segment saved with it is refused the same way, as a validation error on the rule
        with pytest.raises(ValidationError) as invalid:
            Segment(name="Hostile", rule=rule).full_clean()
        assert "rule" in invalid.value.message_dict
        return

    # or else the database runs it, and it can be saved and read back
    with rolled_back():
        segment_customers(rule, now=NOW).count()
        saved = Segment.objects.create(name="Hostile", rule=rule)
        saved.full_clean()
        saved.refresh_from_db()
        assert saved.rule == rule
