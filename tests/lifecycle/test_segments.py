"""Segments: every field and operator, AND/OR groups, rules refused with the part at fault named, and a
preview whose query count does not grow."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import customer_tags_set
from lifecycle.models import Segment
from lifecycle.segments import SegmentError, segment_compile, segment_customers, segment_preview
from tests.factories import CustomerFactory
from tests.orders.track_factories import order_place
from tickets.csat import csat_record
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def person(name: str, **columns) -> Customer:
    customer = CustomerFactory(email=f"{name}@mail.example", first_name=name)
    if columns:
        Customer.objects.filter(pk=customer.pk).update(**columns)
    return customer


def names(rule) -> list[str]:
    emails = segment_customers(rule, now=NOW).values_list("email", flat=True)
    return sorted(email.split("@")[0] for email in emails)


@pytest.fixture
def people():
    return {
        "ana": person(
            "ana",
            lifecycle_stage="loyal",
            orders_count=6,
            total_spent=Decimal("820.00"),
            last_order_at=NOW - timedelta(days=10),
            country="DE",
            city="Berlin",
            acquisition_channel="instagram",
            marketing_opt_in=True,
            rfm_recency=5,
            rfm_frequency=5,
            rfm_monetary=5,
            registered_at=NOW - timedelta(days=700),
        ),
        "bo": person(
            "bo",
            lifecycle_stage="dormant",
            orders_count=2,
            total_spent=Decimal("90.00"),
            last_order_at=NOW - timedelta(days=120),
            country="FR",
            city="Lyon",
            acquisition_channel="google",
            rfm_recency=1,
            rfm_frequency=2,
            rfm_monetary=1,
            registered_at=NOW - timedelta(days=300),
        ),
        "cy": person(
            "cy",
            lifecycle_stage="prospect",
            country="DE",
            city="Hamburg",
            acquisition_channel="instagram",
            registered_at=NOW - timedelta(days=3),
        ),
    }


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "stage", "op": "in", "value": ["loyal", "dormant"]}, ["ana", "bo"]),
        ({"field": "stage", "op": "not_in", "value": ["loyal"]}, ["bo", "cy"]),
        ({"field": "orders_count", "op": "eq", "value": 2}, ["bo"]),
        ({"field": "orders_count", "op": "ne", "value": 2}, ["ana", "cy"]),
        ({"field": "orders_count", "op": "gt", "value": 2}, ["ana"]),
        ({"field": "orders_count", "op": "gte", "value": 2}, ["ana", "bo"]),
        ({"field": "orders_count", "op": "lt", "value": 2}, ["cy"]),
        ({"field": "orders_count", "op": "lte", "value": 2}, ["bo", "cy"]),
        ({"field": "total_spent", "op": "gte", "value": "500.00"}, ["ana"]),
        ({"field": "recency_days", "op": "gte", "value": 90}, ["bo"]),
        ({"field": "recency_days", "op": "lt", "value": 30}, ["ana"]),
        ({"field": "registered_days", "op": "lte", "value": 7}, ["cy"]),
        ({"field": "rfm_recency", "op": "gte", "value": 4}, ["ana"]),
        ({"field": "rfm_monetary", "op": "lte", "value": 1}, ["bo"]),
        ({"field": "country", "op": "in", "value": ["de"]}, ["ana", "cy"]),
        ({"field": "country", "op": "not_in", "value": ["DE"]}, ["bo"]),
        ({"field": "city", "op": "in", "value": ["Lyon"]}, ["bo"]),
        ({"field": "acquisition_channel", "op": "in", "value": ["instagram"]}, ["ana", "cy"]),
        ({"field": "marketing_opt_in", "op": "is", "value": True}, ["ana"]),
        ({"field": "marketing_opt_in", "op": "is", "value": False}, ["bo", "cy"]),
    ],
)
def test_each_field_and_operator(people, condition, expected):
    assert names({"all": [condition]}) == expected


def test_tags_any_all_and_none(people):
    customer_tags_set(customer=people["ana"], names=["vip", "wholesale"], known=False)
    customer_tags_set(customer=people["bo"], names=["vip"], known=False)

    assert names({"field": "tags", "op": "has_any", "value": ["vip"]}) == ["ana", "bo"]
    assert names({"field": "tags", "op": "has_all", "value": ["vip", "wholesale"]}) == ["ana"]
    assert names({"field": "tags", "op": "has_none", "value": ["vip"]}) == ["cy"]


def test_fields_from_orders_and_tickets(people):
    kitchen = [
        {"sku": "KIT-101", "name": "Skillet", "quantity": 1, "unit_price": "39.90", "category": "Kitchen"}
    ]
    order_place(number="100900", email="ana@mail.example", items=kitchen, total="39.90")
    ticket = ticket_open(channel="web", email="bo@mail.example", subject="Help", body="x", now=NOW).ticket
    csat_record(ticket=ticket, rating=2, comment="", now=NOW)

    assert names({"field": "categories_bought", "op": "has_any", "value": ["Kitchen"]}) == ["ana"]
    assert names({"field": "categories_bought", "op": "has_none", "value": ["Kitchen"]}) == ["bo", "cy"]
    assert names({"field": "csat", "op": "lte", "value": 2}) == ["bo"]
    assert names({"field": "csat", "op": "gte", "value": 4}) == []


def test_groups_combine_with_and_and_or(people):
    rule = {
        "all": [
            {"field": "country", "op": "in", "value": ["DE", "FR"]},
            {
                "any": [
                    {"field": "stage", "op": "in", "value": ["dormant"]},
                    {
                        "all": [
                            {"field": "acquisition_channel", "op": "in", "value": ["instagram"]},
                            {"field": "orders_count", "op": "eq", "value": 0},
                        ]
                    },
                ]
            },
        ]
    }

    assert names(rule) == ["bo", "cy"]


@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        ("stage", "", "a rule is an object"),
        ({"all": []}, "all", "one condition or more"),
        (
            {"all": [{"field": "nickname", "op": "in", "value": ["x"]}]},
            "all[0].field",
            "unknown field 'nickname'",
        ),
        ({"all": [{"field": "stage", "op": "like", "value": ["x"]}]}, "all[0].op", "stage takes in, not_in"),
        ({"all": [{"field": "stage", "op": "in", "value": ["vip"]}]}, "all[0].value", "'vip' is not a stage"),
        ({"all": [{"field": "stage", "op": "in"}]}, "all[0].value", "needs a value"),
        (
            {"any": [{"field": "total_spent", "op": "gte", "value": "lots"}]},
            "any[0].value",
            "compares to a number",
        ),
        ({"all": [{"field": "orders_count", "op": "gte", "value": 1.5}]}, "all[0].value", "whole number"),
        ({"all": [{"field": "orders_count", "op": "gte", "value": -1}]}, "all[0].value", "from 0 up"),
        (
            {"all": [{"field": "orders_count", "op": "gte", "value": True}]},
            "all[0].value",
            "compares to a number",
        ),
        (
            {"all": [{"field": "marketing_opt_in", "op": "is", "value": "yes"}]},
            "all[0].value",
            "true or false",
        ),
        (
            {"all": [{"field": "stage", "op": "in", "value": ["new"], "oops": 1}]},
            "all[0].",
            "unknown key 'oops'",
        ),
        ({"all": [], "any": []}, "", "exactly one key"),
        (
            {
                "all": [
                    {
                        "all": [
                            {
                                "all": [
                                    {
                                        "all": [
                                            {
                                                "all": [
                                                    {
                                                        "all": [
                                                            {
                                                                "all": [
                                                                    {
                                                                        "field": "stage",
                                                                        "op": "in",
                                                                        "value": ["new"],
                                                                    }
                                                                ]
                                                            }
                                                        ]
                                                    }
                                                ]
                                            }
                                        ]
                                    }
                                ]
                            }
                        ]
                    }
                ]
            },
            "",
            "levels deep",
        ),
    ],
)
def test_invalid_rules_are_refused_naming_the_part_at_fault(rule, path, words):
    with pytest.raises(SegmentError) as refused:
        segment_compile(rule, now=NOW)

    assert refused.value.path.startswith(path)
    assert words in str(refused.value)


def test_a_saved_segment_is_checked_when_saved():
    broken = Segment(name="Broken", rule={"all": [{"field": "stage", "op": "in", "value": ["vip"]}]})

    with pytest.raises(ValidationError) as refused:
        broken.full_clean()

    assert "all[0].value" in refused.value.message_dict["rule"][0]


def test_a_preview_costs_two_queries_whatever_the_size(people, django_assert_num_queries):
    rule = {
        "all": [
            {"field": "country", "op": "in", "value": ["DE", "FR"]},
            {"field": "tags", "op": "has_none", "value": ["blocked"]},
        ]
    }
    with django_assert_num_queries(2):
        count, sample = segment_preview(rule, now=NOW)
    assert count == 3 and len(sample) == 3

    for n in range(30):
        person(f"extra{n}", country="DE")
    with django_assert_num_queries(2):
        count, sample = segment_preview(rule, now=NOW, sample=10)
    assert count == 33 and len(sample) == 10


def test_the_admin_previews_a_segment(admin_client, people):
    segment = Segment.objects.create(
        name="Germany", rule={"all": [{"field": "country", "op": "in", "value": ["DE"]}]}
    )

    page = admin_client.get(f"/admin/lifecycle/segment/{segment.pk}/change/").content.decode()

    assert "2 customers" in page


def test_loyalty_points_and_tiers(people):
    Customer.objects.filter(email="ana@mail.example").update(loyalty_points=1600)
    Customer.objects.filter(email="bo@mail.example").update(loyalty_points=700)

    assert names({"field": "loyalty_tier", "op": "in", "value": ["Gold"]}) == ["ana"]
    assert names({"field": "loyalty_tier", "op": "in", "value": ["Silver", "Bronze"]}) == ["bo", "cy"]
    assert names({"field": "loyalty_tier", "op": "not_in", "value": ["Bronze"]}) == ["ana", "bo"]
    assert names({"field": "loyalty_points", "op": "gte", "value": 700}) == ["ana", "bo"]
    with pytest.raises(SegmentError, match="'Platinum' is not a loyalty_tier"):
        segment_compile({"field": "loyalty_tier", "op": "in", "value": ["Platinum"]}, now=NOW)
