"""`manage.py import_orders`: JSON Lines and CSV backfills through the API's validation and order_upsert."""

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer
from lifecycle.models import Event
from orders.models import Order, OrderItem
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _order(number: str, **overrides) -> dict:
    order = {
        "external_id": f"EXT-{number}",
        "number": number,
        "customer": {"email": "ann@mail.example", "first_name": "Ann"},
        "placed_at": "2025-03-01T10:00:00Z",
        "currency": "EUR",
        "total": "40.00",
        "payment_method": "prepaid",
        "items": [
            {"sku": "MUG", "name": "Mug", "quantity": 2, "unit_price": "12.50", "category": "kitchen"},
            {"sku": "TEA", "name": "Tea", "quantity": 1, "unit_price": "15.00"},
        ],
    }
    order.update(overrides)
    return order


def _jsonl(path, orders) -> str:
    with open(path, "wb") as out:
        for order in orders:
            out.write(order if isinstance(order, bytes) else json.dumps(order).encode() + b"\n")
    return str(path)


def _import(path, *args) -> tuple[int, str, str]:
    """Run the command as the shell would see it: (exit status, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("import_orders", path, *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:
        stderr.write(str(exc))
        return exc.returncode, stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


CSV_HEADER = [
    "external_id",
    "number",
    "customer_external_id",
    "customer_email",
    "customer_first_name",
    "customer_last_name",
    "placed_at",
    "status",
    "currency",
    "total",
    "payment_method",
    "sku",
    "name",
    "category",
    "quantity",
    "unit_price",
    "promised_delivery_date",
    "gift_wrap",
    "delivery_slot",
    "note",
    "shipping_name",
    "shipping_line1",
    "shipping_city",
    "shipping_postal_code",
    "shipping_country",
]


def _csv_row(number: str, sku: str, **overrides) -> list[str]:
    row = {
        "external_id": f"EXT-{number}",
        "number": number,
        "customer_external_id": "",
        "customer_email": "cara@mail.example",
        "customer_first_name": "Cara",
        "customer_last_name": "Lind",
        "placed_at": "2025-04-01T09:00:00Z",
        "status": "",
        "currency": "EUR",
        "total": "50.00",
        "payment_method": "cod",
        "sku": sku,
        "name": f"Item {sku}",
        "category": "apparel",
        "quantity": "1",
        "unit_price": "25.00",
        "promised_delivery_date": "2025-04-05",
        "gift_wrap": "true",
        "delivery_slot": "evening",
        "note": "Ring twice, then wait",
        "shipping_name": "Cara Lind",
        "shipping_line1": "Hauptstr. 1",
        "shipping_city": "Berlin",
        "shipping_postal_code": "10115",
        "shipping_country": "DE",
    }
    row.update(overrides)
    return [row[column] for column in CSV_HEADER]


def _csv(path, rows) -> str:
    """Rows are lists of cells, or raw bytes written as they are (to make broken lines)."""
    with open(path, "wb") as out:
        for row in [CSV_HEADER, *rows]:
            if isinstance(row, bytes):
                out.write(row)
                continue
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerow(row)
            out.write(text.getvalue().encode())
    return str(path)


# --- Happy paths ------------------------------------------------------------------------------------


def test_jsonl_import_creates_orders_items_customers_and_events(tmp_path):
    # given a file of three orders: two from a guest (by email), one from a customer the store sent before
    known = CustomerFactory(external_id="C-KNOWN", email="known@mail.example")
    path = _jsonl(
        tmp_path / "orders.jsonl",
        [
            _order("1001"),
            _order("1002", placed_at="2025-05-02T08:30:00+02:00", total="60.00"),
            _order("1003", customer={"external_id": "C-KNOWN"}, total="25.00", payment_method="cod"),
        ],
    )
    # when it is imported
    status, out, err = _import(path)
    # then every order landed with its items, and the command says so
    assert (status, err) == (0, "")
    assert "3 created, 0 updated, 0 skipped (bad)" in out
    assert "orders/s" in out
    assert Order.objects.count() == 3
    assert OrderItem.objects.count() == 6
    mug = OrderItem.objects.get(order__number="1001", sku="MUG")
    assert (mug.quantity, mug.unit_price, mug.category) == (2, Decimal("12.50"), "kitchen")
    assert Order.objects.get(number="1003").status == Order.Status.CONFIRMED  # cash on delivery
    # and the guest became a customer whose stats count both orders
    ann = Customer.objects.get(email="ann@mail.example")
    assert ann.first_name == "Ann"
    # a guest's journey starts at their first order, and a later order does not move that
    assert ann.registered_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert (ann.orders_count, ann.total_spent) == (2, Decimal("100.00"))
    assert ann.first_order_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert ann.last_order_at == datetime(2025, 5, 2, 6, 30, tzinfo=UTC)
    known.refresh_from_db()
    assert (known.orders_count, known.total_spent) == (1, Decimal("25.00"))
    # and each order's event happened when the order was placed, not when it was imported
    placed = {event.data["number"]: event.occurred_at for event in Event.objects.filter(kind="order_placed")}
    assert placed == {
        "1001": datetime(2025, 3, 1, 10, tzinfo=UTC),
        "1002": datetime(2025, 5, 2, 6, 30, tzinfo=UTC),
        "1003": datetime(2025, 3, 1, 10, tzinfo=UTC),
    }


def test_csv_import_groups_the_rows_of_each_order(tmp_path):
    # given a CSV file: one row per item, the order's columns repeated; a second order of one item
    path = _csv(
        tmp_path / "orders.csv",
        [
            _csv_row("2001", "SHIRT", quantity="1", unit_price="20.00"),
            _csv_row("2001", "SOCKS", quantity="3", unit_price="10.00"),
            _csv_row(
                "2002",
                "HAT",
                total="15.00",
                unit_price="15.00",
                payment_method="prepaid",
                customer_email="dan@mail.example",
                customer_first_name="Dan",
                gift_wrap="",
                note="",
                promised_delivery_date="",
            ),
        ],
    )
    # when it is imported
    status, out, err = _import(path)
    # then two orders landed, the first with both its items and every order column
    assert (status, err) == (0, "")
    assert "2 created, 0 updated, 0 skipped (bad)" in out
    order = Order.objects.get(number="2001")
    assert sorted(order.items.values_list("sku", "quantity", "unit_price")) == [
        ("SHIRT", 1, Decimal("20.00")),
        ("SOCKS", 3, Decimal("10.00")),
    ]
    assert order.external_id == "EXT-2001"
    assert order.payment_method == Order.PaymentMethod.COD
    assert (order.gift_wrap, order.delivery_slot, order.note) == (True, "evening", "Ring twice, then wait")
    assert order.promised_delivery_date.isoformat() == "2025-04-05"
    assert order.shipping_address == {
        "name": "Cara Lind",
        "line1": "Hauptstr. 1",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
    }
    other = Order.objects.get(number="2002")
    assert (other.gift_wrap, other.note, other.promised_delivery_date) == (False, "", None)
    cara = Customer.objects.get(email="cara@mail.example")
    assert (cara.first_name, cara.last_name, cara.orders_count, cara.total_spent) == (
        "Cara",
        "Lind",
        1,
        Decimal("50.00"),
    )
    assert Event.objects.get(kind="order_placed", data__number="2001").occurred_at == datetime(
        2025, 4, 1, 9, tzinfo=UTC
    )


def _snapshot() -> tuple:
    return (
        list(Order.objects.order_by("id").values_list("id", "status", "total", "updated_at")),
        list(OrderItem.objects.order_by("id").values_list("id", "order_id", "sku", "quantity")),
        list(Event.objects.order_by("id").values_list("id", "kind", "occurred_at")),
        list(
            Customer.objects.order_by("id").values_list(
                "id", "registered_at", "orders_count", "total_spent", "last_order_at", "updated_at"
            )
        ),
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_importing_the_same_file_again_changes_nothing(tmp_path, fmt):
    # given a file that has been imported once
    if fmt == "jsonl":
        later = _order("1002", placed_at="2025-06-01T12:00:00Z")
        path = _jsonl(tmp_path / "orders.jsonl", [_order("1001"), later])
    else:
        path = _csv(tmp_path / "orders.csv", [_csv_row("2001", "A"), _csv_row("2001", "B")])
    assert _import(path)[0] == 0
    before = _snapshot()
    # when it is imported again
    status, out, err = _import(path)
    # then every order is found, none created, and nothing in the database moved
    assert (status, err) == (0, "")
    landed = 2 if fmt == "jsonl" else 1
    assert f"0 created, {landed} updated, 0 skipped (bad)" in out
    after = _snapshot()
    assert after == before


# --- Bad records ------------------------------------------------------------------------------------


def test_bad_jsonl_lines_are_reported_with_their_line_and_skipped(tmp_path):
    # given good orders around one bad line of each kind
    missing_date = _order("1002")
    del missing_date["placed_at"]
    latin1 = b'{"number": "1006", "customer": {"email": "caf\xe9@mail.example"}}\n'
    errors_path = tmp_path / "errors.jsonl"
    path = _jsonl(
        tmp_path / "orders.jsonl",
        [
            _order("1001"),  # line 1
            missing_date,  # line 2
            _order("1003", placed_at="31/12/2025 10:00"),  # line 3
            _order("1004", items=[{"sku": "MUG", "name": "Mug", "quantity": -1, "unit_price": "1.00"}]),
            _order("1005", currency="XYZ"),  # line 5
            latin1,  # line 6: Latin-1, not UTF-8
            b'{"number": "1007", "placed_at": \n',  # line 7: cut off
            b"\n",  # line 8: blank, ignored
            _order("1009"),  # line 9
        ],
    )
    # when it is imported
    status, out, err = _import(path, "--errors", str(errors_path))
    # then each bad line is reported by number with its reason, and the good orders landed
    lines = err.splitlines()
    assert lines[:6] == [
        "line 2: order 1002: placed_at: This field is required.",
        lines[1],
        "line 4: order 1004: items[0].quantity: Ensure this value is greater than or equal to 1.",
        "line 5: order 1005: currency: XYZ is not a currency in use (ISO 4217).",
        f"line 6: bad encoding: not valid UTF-8 (byte {latin1.index(0xE9) + 1} of the line)",
        lines[5],
    ]
    assert lines[1].startswith("line 3: order 1003: placed_at: Datetime has wrong format.")
    assert lines[5].startswith("line 7: malformed JSON: Expecting value")
    assert sorted(Order.objects.values_list("number", flat=True)) == ["1001", "1009"]
    # and the summary counts them, and the exit status says some were bad
    assert "2 created, 0 updated, 6 skipped (bad)" in out
    assert status == 1
    assert "6 bad record(s) skipped" in lines[-1]
    # and the errors file holds the same, one JSON object per bad line
    reported = [json.loads(line) for line in errors_path.read_text().splitlines()]
    assert [problem["line"] for problem in reported] == [2, 3, 4, 5, 6, 7]
    assert reported[3]["number"] == "1005"
    assert reported[3]["reason"] == "currency: XYZ is not a currency in use (ISO 4217)."


def test_bad_csv_rows_skip_their_whole_order_and_name_their_line(tmp_path):
    # given CSV orders where one row of an order is broken in each way a row can be
    latin1 = ",".join(_csv_row("3004", "B", customer_first_name="Zo\xeb")).encode("latin-1") + b"\n"
    broken_quotes = ",".join(_csv_row("3009", "B", note='"Ring" twice')).encode() + b"\n"
    path = _csv(
        tmp_path / "orders.csv",
        [
            _csv_row("3001", "A"),  # line 2: good
            _csv_row("3001", "B"),  # line 3
            _csv_row("3002", "A"),  # line 4
            _csv_row("3002", "B", quantity="-2"),  # line 5: negative quantity
            _csv_row("3003", "A"),  # line 6
            _csv_row("3003", "B")[:-3],  # line 7: too few columns
            _csv_row("3004", "A"),  # line 8
            latin1,  # line 9: Latin-1, not UTF-8
            _csv_row("3005", "A", placed_at="yesterday"),  # line 10: bad date
            _csv_row("3006", "A", currency="EURO"),  # line 11: not a currency code
            _csv_row("3007", "A", customer_email="", customer_external_id=""),  # line 12: no customer
            _csv_row("3001", "C"),  # line 13: 3001 again, apart from its other rows
            _csv_row("3008", "A", total="25.00"),  # line 14: good
            _csv_row("3009", "A"),  # line 15
            broken_quotes,  # line 16
        ],
    )
    # when it is imported
    status, out, err = _import(path)
    # then every broken order is reported at the row that broke it and skipped whole
    lines = err.splitlines()
    assert (
        lines[0]
        == "line 5: order 3002 (lines 4-5): quantity: Ensure this value is greater than or equal to 1."
    )
    assert lines[1] == "line 7: order 3003 (lines 6-7): 22 columns where the header has 25"
    assert lines[2] == (
        "line 9: order 3004 (lines 8-9): bad encoding: "
        f"not valid UTF-8 (byte {latin1.index(0xEB) + 1} of the line)"
    )
    assert lines[3].startswith("line 10: order 3005: placed_at: Datetime has wrong format.")
    assert lines[4].startswith("line 11: order 3006: currency: ")
    assert lines[5] == "line 12: order 3007: customer: Name the customer by external_id or email."
    assert lines[6] == (
        "line 13: order 3001: rows of order 3001 are not consecutive: it already appeared on line 2"
    )
    assert lines[7] == ("line 16: order 3009 (lines 15-16): malformed CSV: ',' expected after '\"'")
    # and the good orders landed with all their items, and no half of a broken one did
    assert sorted(Order.objects.values_list("number", flat=True)) == ["3001", "3008"]
    assert sorted(OrderItem.objects.filter(order__number="3001").values_list("sku", flat=True)) == ["A", "B"]
    assert "2 created, 0 updated, 8 skipped (bad)" in out
    assert status == 1


def test_an_order_the_service_refuses_does_not_take_its_batch_down(tmp_path):
    # given three orders in one batch; the middle one names a customer the store never sent
    path = _jsonl(
        tmp_path / "orders.jsonl",
        [_order("1001"), _order("1002", customer={"external_id": "NEVER-SENT"}), _order("1003")],
    )
    # when they are imported in a single transaction
    status, _, err = _import(path, "--batch-size", "50")
    # then the refused order is reported, and the orders on either side of it are committed
    assert err.splitlines()[0] == (
        "line 2: order 1002: customer: No customer with external_id NEVER-SENT; send it first."
    )
    assert sorted(Order.objects.values_list("number", flat=True)) == ["1001", "1003"]
    assert Customer.objects.get(email="ann@mail.example").orders_count == 2
    assert Event.objects.filter(kind="order_placed").count() == 2
    assert status == 1


def test_an_order_number_taken_by_another_order_is_a_bad_record(tmp_path):
    # given an order already imported, then a file reusing its number under another external id
    assert _import(_jsonl(tmp_path / "first.jsonl", [_order("1001")]))[0] == 0
    path = _jsonl(tmp_path / "second.jsonl", [_order("1001", external_id="OTHER"), _order("1002")])
    # when that file is imported
    status, out, err = _import(path)
    # then the clash is reported and the other order lands
    assert err.splitlines()[0].startswith("line 1: order 1001: number: Order number 1001 belongs to")
    assert "1 created, 0 updated, 1 skipped (bad)" in out
    assert status == 1


# --- The file as a whole ----------------------------------------------------------------------------


def test_a_file_that_cannot_be_read_is_exit_status_2(tmp_path):
    status, _, err = _import(str(tmp_path / "missing.jsonl"))
    assert status == 2
    assert "Cannot read" in err


def test_a_csv_header_with_an_unknown_column_is_refused_before_anything_is_imported(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("number,placed_at,currency,total,sku,name,quantity,unit_price,customer_email,colour\n")
    status, _, err = _import(str(path))
    assert status == 2
    assert "Unknown CSV column(s) 'colour'" in err
    assert Order.objects.count() == 0


def test_the_format_follows_the_extension_unless_named(tmp_path):
    # given a CSV file whose name does not say so
    path = _csv(tmp_path / "orders.txt", [_csv_row("2001", "A")])
    # when it is imported as CSV
    status, out, _ = _import(path, "--format", "csv")
    # then it is read as CSV
    assert status == 0
    assert "1 created" in out


@pytest.mark.django_db(transaction=True)
def test_a_batch_hands_its_events_to_the_worker_in_one_task(tmp_path, monkeypatch):
    # given five orders imported two per transaction
    from lifecycle import tasks

    single, many = [], []
    monkeypatch.setattr(tasks.event_dispatch_task, "delay", single.append)
    monkeypatch.setattr(tasks.events_dispatch_task, "delay", many.append)
    path = _jsonl(tmp_path / "orders.jsonl", [_order(str(n)) for n in range(1, 6)])
    # when they are imported
    assert _import(path, "--batch-size", "2")[0] == 0
    # then each committed batch rang the broker once, with every event it recorded (a batch of one
    # event goes as a plain single dispatch)
    assert [len(ids) for ids in many] == [3, 2]  # the first batch also registered the customer
    assert len(single) == 1
    assert sorted([*(i for ids in many for i in ids), *single]) == list(
        Event.objects.order_by("id").values_list("id", flat=True)
    )
