"""Demo orders for the demo customers: two years of a small home-and-outdoor shop's orders, paid ahead or
cash on delivery, shipped with the registry's carriers, tracked to the door, some cancelled and
refunded, some returned. Everything goes through orders.services, as the store's pushes would, so the
events, the customer stats, the alerts and the lifecycle stages are what the live system would have made
of the same history. The events are queued for the worker as each batch commits, so the subscribers
(stages, notifications, campaigns) see them as they would see the store's; a notification about
something older than a few days is recorded as skipped, so loading demo data emails only what is news.

Each customer's orders are drawn from a generator seeded with the run's seed and the customer's
external id, so customer i gets the same orders whoever else is there, and a second run adds orders
only for the customers that have none yet."""

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction

from carecrm import money
from carecrm.demo import Options, Progress, batches
from customers.models import Customer
from lifecycle.services import customer_stage_refresh, events_dispatched_together
from orders import services
from orders.models import Carrier, Order, OrderAlert, Return, Shipment

# sku, name, category, price in the shop's currency, how often it sells (relative)
# What the shop pays for its goods, as a share of the price: the demo sends costs, so value counts margin.
_COST_SHARE = {
    "Beauty": Decimal("0.35"),
    "Electronics": Decimal("0.72"),
    "Garden": Decimal("0.50"),
    "Home textiles": Decimal("0.40"),
    "Kitchen": Decimal("0.45"),
    "Outdoor": Decimal("0.55"),
}
_CATALOGUE = [
    ("KIT-101", "Cast-iron skillet 28 cm", "Kitchen", "39.90", 8),
    ("KIT-102", "Chef's knife 20 cm", "Kitchen", "59.00", 5),
    ("KIT-103", "Pour-over coffee set", "Kitchen", "34.50", 7),
    ("KIT-104", "Bamboo cutting board", "Kitchen", "19.90", 9),
    ("TEX-201", "Linen duvet cover 200x200", "Home textiles", "89.00", 4),
    ("TEX-202", "Waffle bath towel", "Home textiles", "24.90", 9),
    ("TEX-203", "Wool throw blanket", "Home textiles", "69.00", 5),
    ("TEC-301", "Wireless charging pad", "Electronics", "29.99", 8),
    ("TEC-302", "Noise-cancelling headphones", "Electronics", "179.00", 3),
    ("TEC-303", "Smart LED bulb, 2-pack", "Electronics", "24.99", 7),
    ("TEC-304", "Portable speaker", "Electronics", "79.00", 4),
    ("BEA-401", "Olive soap set", "Beauty", "14.90", 9),
    ("BEA-402", "Face serum 30 ml", "Beauty", "32.00", 6),
    ("BEA-403", "Hair dryer 2000 W", "Beauty", "64.90", 3),
    ("GAR-501", "Herb planter trio", "Garden", "27.50", 6),
    ("GAR-502", "Garden hose 25 m", "Garden", "44.90", 3),
    ("GAR-503", "Solar string lights", "Garden", "22.90", 6),
    ("OUT-601", "Insulated bottle 750 ml", "Outdoor", "24.00", 8),
    ("OUT-602", "Two-person tent", "Outdoor", "149.00", 2),
    ("OUT-603", "Daypack 22 l", "Outdoor", "54.90", 4),
]
_SKU_WEIGHTS = [row[4] for row in _CATALOGUE]
_SHIPPING_FEE = Decimal("4.90")
_FREE_SHIPPING_FROM = Decimal("50")

# Carriers by the customer's country, by share of parcels; the shop's own vans serve two cities.
_CARRIERS = {
    "DE": {Carrier.DHL: 60, Carrier.UPS: 20, Carrier.FEDEX: 10},
    "AT": {Carrier.DHL: 55, Carrier.UPS: 30, Carrier.FEDEX: 15},
    "GB": {Carrier.ROYAL_MAIL: 60, Carrier.DHL: 20, Carrier.UPS: 20},
    "US": {Carrier.USPS: 50, Carrier.UPS: 30, Carrier.FEDEX: 20},
    "IN": {Carrier.BLUE_DART: 50, Carrier.DELHIVERY: 50},
}
_CARRIERS_ELSEWHERE = {Carrier.DHL: 45, Carrier.UPS: 30, Carrier.FEDEX: 25}
_OWN_FLEET_CITIES = {"Berlin", "Hamburg"}
_HUBS = ["Leipzig hub", "Cologne hub", "Paris Roissy hub", "East Midlands hub", "Amsterdam hub", "Vienna hub"]
_STREETS = [
    "Station Road",
    "Lindenallee",
    "Rue des Lilas",
    "Via Roma",
    "Kerkstraat",
    "Calle Mayor",
    "Parkweg",
]
_DELIVERED_AS = [
    "Delivered to the recipient",
    "Left at the front door",
    "Delivered to a neighbour",
    "Delivered to a parcel locker",
]
_EXCEPTIONS = [
    "Recipient not at home; next attempt on the next working day",
    "Address incomplete; the carrier is contacting the recipient",
    "Delayed by severe weather",
]
_RETURN_REASONS = {
    "Too small": 4,
    "Arrived damaged": 3,
    "Not as described": 2,
    "Changed my mind": 4,
    "Wrong item sent": 1,
}
_SLOTS = ["Weekday evening 18:00-21:00", "Saturday morning", "Weekday morning 8:00-12:00"]
_NOTES = ["Please leave it with the neighbour at number 4.", "Ring twice, the bell is quiet.", "Side door."]
_BATCH = 25
_MAX_ORDERS = 6


@dataclass
class _Tally:
    orders: int = 0
    cancelled: int = 0
    payments: int = 0
    shipments: int = 0
    returns: int = 0
    refunds: int = 0
    double_charged: bool = False
    buyers: list[int] = field(default_factory=list)


def orders_present() -> bool:
    return Order.objects.filter(external_id__startswith="demo-order-").exists()


def orders_seed(*, options: Options, progress: Progress, now: datetime) -> str:
    customers = list(
        Customer.objects.filter(external_id__startswith="demo-", merged_into__isnull=True).order_by(
            "external_id"
        )
    )
    with_orders = set(
        Order.objects.filter(customer__in=customers, external_id__startswith="demo-order-").values_list(
            "customer_id", flat=True
        )
    )
    tally = _Tally(double_charged=OrderAlert.objects.filter(kind=OrderAlert.Kind.DOUBLE_CHARGE).exists())
    currency = money.default_currency()
    with progress(total=len(customers), desc="orders") as bar:
        for batch in batches(len(customers), _BATCH):
            # One transaction per batch: SQLite commits a few times instead of once per service call.
            with events_dispatched_together(), transaction.atomic():
                for index in batch:
                    customer = customers[index]
                    if customer.pk not in with_orders:
                        _customer_orders(customer, currency=currency, options=options, now=now, tally=tally)
            bar.update(len(batch))
    # What the tick's jobs would find in this history: owed refunds, late parcels, stages.
    services.payment_problems_detect(now=now)
    services.deliveries_late_detect(now=now)
    _stages_refresh(customer_ids=tally.buyers, now=now)
    alerts = OrderAlert.objects.filter(resolved_at__isnull=True).count()
    return (
        f"{tally.orders} orders ({tally.cancelled} cancelled), {tally.payments} payments, "
        f"{tally.shipments} shipments, {tally.returns} returns, {tally.refunds} refunds; {alerts} open alerts"
    )


def _stages_refresh(*, customer_ids: list[int], now: datetime) -> None:
    """Put the buyers in the stage their orders make them, as the stage subscriber will when the worker
    dispatches the orders' events (queued as each batch committed). Doing it here means the stages are
    right before any worker runs, for a fraction of the cost of dispatching every event in-process."""
    for start in range(0, len(customer_ids), 500):
        with transaction.atomic():
            for customer in (
                Customer.objects.select_for_update()
                .filter(pk__in=customer_ids[start : start + 500])
                .order_by("pk")
            ):
                customer_stage_refresh(customer=customer, now=now)


# --- One customer's history -------------------------------------------------------------------------


def _customer_orders(
    customer: Customer, *, currency: str, options: Options, now: datetime, tally: _Tally
) -> None:
    rng = random.Random(f"{options.seed}:{customer.external_id}")  # noqa: S311 -- demo data, repeatable
    if rng.random() >= 0.6:
        return  # registered, never bought
    tally.buyers.append(customer.pk)
    count = rng.choices(range(1, _MAX_ORDERS + 1), weights=[50, 22, 12, 7, 5, 4])[0]
    index = int(customer.external_id.rsplit("-", 1)[-1])
    span = now - customer.registered_at
    # Most buyers order within days of registering; one who registered an hour ago ordered since.
    placed_at = customer.registered_at + min(timedelta(days=rng.expovariate(1 / 4)), span * rng.random())
    # A few regulars of long standing order every month or so, and big: the shop's loyal customers. Drawn
    # apart, so everyone else's history stays what it was.
    regular_rng = random.Random(f"{options.seed}:{customer.external_id}:regular")  # noqa: S311 -- demo data
    if span > timedelta(days=240) and regular_rng.random() < 0.25:
        _regular_orders(
            customer, index=index, currency=currency, rng=rng, now=now, tally=tally, draw=regular_rng
        )
        return
    for k in range(count):
        placed_at = max(placed_at, customer.registered_at + timedelta(minutes=5))
        if placed_at >= now:
            break
        _order_history(
            customer,
            number=f"{100000 + index * 10 + k}",
            placed_at=placed_at,
            currency=currency,
            rng=rng,
            now=now,
            tally=tally,
        )
        # Repeat buyers come back every few months, some much sooner.
        placed_at += timedelta(days=rng.expovariate(1 / 75), hours=rng.uniform(0, 12))


def _regular_orders(
    customer: Customer,
    *,
    index: int,
    currency: str,
    rng: random.Random,
    now: datetime,
    tally: _Tally,
    draw: random.Random,
) -> None:
    count = draw.randint(4, 6)
    gaps = [timedelta(days=draw.uniform(20, 35), hours=draw.uniform(0, 12)) for _ in range(count - 1)]
    # The latest order a few weeks ago at most: a regular is still coming back.
    placed_at = now - timedelta(days=draw.uniform(3, 40)) - sum(gaps, timedelta())
    for k in range(count):
        _order_history(
            customer,
            number=f"{100000 + index * 10 + k}",
            placed_at=placed_at,
            currency=currency,
            rng=rng,
            now=now,
            tally=tally,
            basket=4,
        )
        if k < len(gaps):
            placed_at += gaps[k]


def _order_history(
    customer: Customer,
    *,
    number: str,
    placed_at: datetime,
    currency: str,
    rng: random.Random,
    now: datetime,
    tally: _Tally,
    basket: int = 0,
) -> None:
    """Place one order and play its life forward, stopping at `now`: recent orders are still on the way.
    `basket` fixes the number of products (a regular's big order); otherwise it is drawn."""
    lines = rng.sample(_CATALOGUE, k=basket or rng.choices([1, 2, 3, 4], weights=[50, 30, 14, 6])[0])
    # rng.sample ignores popularity: the first line is drawn by it, so best-sellers sell best.
    lines[0] = rng.choices(_CATALOGUE, weights=_SKU_WEIGHTS)[0]
    lines = list({line[0]: line for line in lines}.values())
    items = [
        {
            "sku": sku,
            "name": name,
            "category": category,
            "quantity": rng.choices([1, 2, 3], weights=[80, 15, 5])[0],
            "unit_price": money.to_decimal(price, currency),
            "unit_cost": money.to_decimal(Decimal(price) * _COST_SHARE[category], currency),
        }
        for sku, name, category, price, _weight in lines
    ]
    subtotal = sum((item["unit_price"] * item["quantity"] for item in items), Decimal(0))
    shipping = Decimal(0) if subtotal >= _FREE_SHIPPING_FROM else money.to_decimal(_SHIPPING_FEE, currency)
    cod = rng.random() < 0.2
    data = {
        "external_id": f"demo-order-{number}",
        "number": number,
        "customer": {"external_id": customer.external_id},
        "placed_at": placed_at,
        "currency": currency,
        "total": subtotal + shipping,
        "payment_method": Order.PaymentMethod.COD if cod else Order.PaymentMethod.PREPAID,
        "items": items,
        "shipping_address": {
            "name": customer.full_name,
            "line1": f"{rng.choice(_STREETS)} {rng.randint(1, 120)}",
            "postal_code": f"{rng.randint(10000, 99999)}",
            "city": customer.city,
            "country": customer.country,
        },
        "special_instructions": {
            "gift_wrap": rng.random() < 0.08,
            "delivery_slot": rng.choice(_SLOTS) if rng.random() < 0.12 else "",
            "note": rng.choice(_NOTES) if rng.random() < 0.05 else "",
        },
        "promised_delivery_date": (placed_at + timedelta(days=rng.randint(3, 5))).date(),
    }
    order, _ = services.order_upsert(data=data, source="demo", now=placed_at)
    tally.orders += 1
    life = _OrderLife(order=order, customer=customer, rng=rng, now=now, tally=tally)
    if not cod and not life.pay(at=placed_at + timedelta(minutes=rng.uniform(1, 20))):
        return
    fate = rng.random()
    if fate < 0.06:
        life.cancel(at=placed_at + timedelta(hours=rng.uniform(1, 20)))
        return
    life.ship(at=placed_at + timedelta(hours=rng.uniform(4, 40)))


@dataclass
class _OrderLife:
    order: Order
    customer: Customer
    rng: random.Random
    now: datetime
    tally: _Tally
    payments: int = 0

    def _due(self, at: datetime) -> bool:
        return at <= self.now

    def _payment(self, *, status: str, at: datetime, method: str, amount=None) -> None:
        self.payments += 1
        services.payment_upsert(
            order=self.order,
            data={
                "external_id": f"demo-pay-{self.order.number}-{self.payments}",
                "amount": amount if amount is not None else self.order.total,
                "currency": self.order.currency,
                "method": method,
                "status": status,
                "occurred_at": at,
            },
            now=at,
        )
        self.tally.payments += 1

    def pay(self, *, at: datetime) -> bool:
        """A prepaid checkout: mostly one capture, sometimes a declined card first, now and then given up."""
        if not self._due(at):
            return False
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:
            self._payment(status="failed", at=at, method="card")
            if roll < 0.03:
                # Never paid: the shop cancels the order the next day.
                self._store_status("cancelled", at=at + timedelta(days=1))
                return False
            at += timedelta(minutes=rng.uniform(2, 30))
            if not self._due(at):
                return False
            self._payment(status="captured", at=at, method="paypal")
        else:
            self._payment(status="captured", at=at, method=rng.choice(["card", "card", "card", "paypal"]))
        if not self.tally.double_charged and timedelta(days=3) < self.now - at < timedelta(days=40):
            # The one double charge of the demo: the payment provider captured the order twice.
            self.tally.double_charged = True
            self._payment(status="captured", at=at + timedelta(seconds=40), method="card")
        return True

    def _store_status(self, status: str, *, at: datetime) -> None:
        if not self._due(at):
            return
        services.order_upsert(
            data={"external_id": self.order.external_id, "number": self.order.number, "status": status},
            source="demo",
            now=at,
        )
        self.order.refresh_from_db()
        if status == "cancelled":
            self.tally.cancelled += 1

    def cancel(self, *, at: datetime) -> None:
        """The customer changed their mind before shipping; a paid order is refunded within days, or
        (now and then) not yet."""
        if not self._due(at):
            return
        self._store_status("cancelled", at=at)
        if self.order.amount_paid <= 0:
            return
        refund_at = at + timedelta(days=self.rng.choice([0.5, 1, 2, 3, 12]))
        if self._due(refund_at):
            self._refund_payment(at=refund_at)

    def _refund_payment(self, *, at: datetime) -> None:
        captured = self.order.payments.filter(status="captured").order_by("id").first()
        if captured is None:
            return
        services.payment_upsert(
            order=self.order,
            data={
                "external_id": captured.external_id,
                "amount": captured.amount,
                "currency": captured.currency,
                "method": captured.method,
                "status": "refunded",
                "occurred_at": at,
            },
            now=at,
        )
        self.order.refresh_from_db()
        self.tally.refunds += 1

    def ship(self, *, at: datetime) -> None:
        rng = self.rng
        items = list(self.order.items.all())
        parcels = [None]
        if len(items) > 1 and rng.random() < 0.12:
            # Part of the order was out of stock: what is there ships now, the rest a few days later.
            first = items[: len(items) // 2]
            parcels = [[{"sku": item.sku, "quantity": item.quantity} for item in first], None]
        carrier = self._carrier()
        for position, parcel_items in enumerate(parcels):
            shipped_at = at + timedelta(days=position * rng.uniform(2, 5))
            if not self._due(shipped_at):
                return
            if not self._parcel(
                position=position + 1, carrier=carrier, items=parcel_items, shipped_at=shipped_at
            ):
                return
        self.order.refresh_from_db()
        if self.order.delivered_at:
            self._after_delivery()

    def _carrier(self) -> str:
        if self.customer.city in _OWN_FLEET_CITIES and self.rng.random() < 0.3:
            return Carrier.OWN_FLEET
        shares = _CARRIERS.get(self.customer.country, _CARRIERS_ELSEWHERE)
        return self.rng.choices(list(shares), weights=list(shares.values()))[0]

    def _tracking_number(self, carrier: str) -> str:
        rng = self.rng
        digits = "".join(str(rng.randrange(10)) for _ in range(22))
        match carrier:
            case Carrier.UPS:
                return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
            case Carrier.ROYAL_MAIL:
                return f"{rng.choice(['AB', 'FJ', 'TT'])}{digits[:9]}GB"
            case Carrier.USPS:
                return "9400" + digits[:18]
            case Carrier.FEDEX:
                return digits[:12]
            case Carrier.OWN_FLEET:
                return f"OF-{digits[:7]}"
            case Carrier.BLUE_DART | Carrier.DELHIVERY:
                return digits[:13]
        return "00" + digits[:18]  # DHL's parcel numbers

    def _parcel(self, *, position: int, carrier: str, items: list | None, shipped_at: datetime) -> bool:
        """Ship one parcel and scan it along its way. Returns whether it has been delivered by now (a
        parcel still on its way, or sent back, ends the order's story here)."""
        rng = self.rng
        data = {
            "external_id": f"demo-ship-{self.order.number}-{position}",
            "carrier": carrier,
            "tracking_number": self._tracking_number(carrier),
            "shipped_at": shipped_at,
        }
        if items is not None:
            data["items"] = items
        shipment, _ = services.shipment_upsert(order=self.order, data=data, now=shipped_at)
        self.tally.shipments += 1
        city = self.customer.city
        transit_days = rng.choices([1, 2, 3, 4, 6, 9], weights=[25, 35, 20, 10, 6, 4])[0]
        out_day = (shipped_at + timedelta(days=transit_days)).date()
        out_at = datetime.combine(out_day, time(7, 30), tzinfo=shipped_at.tzinfo) + timedelta(
            minutes=rng.uniform(0, 120)
        )
        scans = [
            (Shipment.Status.LABEL_CREATED, shipped_at, "", "Shipping label created"),
            (
                Shipment.Status.IN_TRANSIT,
                shipped_at + (out_at - shipped_at) * rng.uniform(0.2, 0.6),
                rng.choice(_HUBS),
                "Departed the sorting centre",
            ),
            (Shipment.Status.OUT_FOR_DELIVERY, out_at, city, "Out for delivery"),
        ]
        roll = rng.random()
        if roll < 0.06:
            trouble_at = out_at + timedelta(hours=rng.uniform(2, 6))
            scans.append((Shipment.Status.EXCEPTION, trouble_at, city, rng.choice(_EXCEPTIONS)))
            if roll < 0.012:
                back_at = trouble_at + timedelta(days=5)
                scans.append((Shipment.Status.RETURNED_TO_SENDER, back_at, "", "Returned to the sender"))
                self._scan(shipment, scans)
                if self._due(back_at + timedelta(days=2)):
                    # The parcel came back: the order is over, and a paid one is refunded.
                    self._store_status("returned", at=back_at + timedelta(days=2))
                    if self.order.amount_paid > 0:
                        self._refund_payment(at=back_at + timedelta(days=2))
                return False
            out_at = trouble_at + timedelta(days=1, hours=-4)
            scans.append((Shipment.Status.OUT_FOR_DELIVERY, out_at, city, "Out for delivery, second attempt"))
        delivered_at = out_at + timedelta(hours=rng.uniform(1, 8))
        scans.append((Shipment.Status.DELIVERED, delivered_at, city, rng.choice(_DELIVERED_AS)))
        self._scan(shipment, scans)
        if not self._due(delivered_at):
            return False
        if self.order.payment_method == Order.PaymentMethod.COD and position == 1:
            # Cash on delivery: the courier collects the whole order's price at the first parcel.
            self._payment(status="captured", at=delivered_at, method="cod")
        return True

    def _scan(self, shipment: Shipment, scans: list) -> None:
        for status, at, location, description in scans:
            if not self._due(at):
                return
            services.tracking_event_add(
                shipment=shipment,
                data={"status": status, "occurred_at": at, "location": location, "description": description},
                now=at,
            )

    def _after_delivery(self) -> None:
        """A few delivered orders come back, ask for the price difference, or need a repair."""
        rng = self.rng
        roll = rng.random()
        if roll >= 0.12:
            return
        delivered_at = self.order.delivered_at
        if roll < 0.015:
            kind, resolution = Return.Kind.PRICE_PROTECTION, Return.Resolution.REFUND
            reason = "The price dropped a week after I bought it."
        elif roll < 0.025:
            kind, resolution = Return.Kind.REPAIR, Return.Resolution.REPAIR
            reason = "Stopped working after a few days."
        else:
            kind = Return.Kind.RETURN
            resolution = rng.choices([Return.Resolution.REFUND, Return.Resolution.REPLACEMENT], [85, 15])[0]
            reason = rng.choices(list(_RETURN_REASONS), weights=list(_RETURN_REASONS.values()))[0]
        requested_at = delivered_at + timedelta(days=rng.uniform(0.5, 12))
        if not self._due(requested_at):
            return
        item = rng.choice(list(self.order.items.all()))
        ret = services.return_request(
            order=self.order,
            kind=kind,
            reason=reason,
            resolution=resolution,
            items=[{"order_item": item.pk, "quantity": rng.randint(1, item.quantity)}],
            source="demo",
            now=requested_at,
        )
        self.tally.returns += 1
        at = requested_at + timedelta(days=rng.uniform(0.3, 2))
        if not self._due(at):
            return
        if rng.random() < 0.1:
            services.return_transition(
                ret=ret,
                to=Return.Status.REJECTED,
                actor="demo",
                now=at,
                note="Outside the conditions: the item has been used.",
            )
            return
        services.return_transition(
            ret=ret,
            to=Return.Status.APPROVED,
            actor="demo",
            now=at,
            instructions=f"Print your prepaid label: https://returns.example/label/{ret.rma}",
        )
        for status, days in ((Return.Status.RECEIVED, (2, 7)), (Return.Status.RESOLVED, (0.5, 3))):
            at += timedelta(days=rng.uniform(*days))
            if not self._due(at):
                return
            services.return_transition(ret=ret, to=status, actor="demo", now=at)
        refund_at = at + timedelta(days=rng.uniform(0.5, 4))
        if self._due(refund_at) and ret.kind == Return.Kind.RETURN and resolution == Return.Resolution.REFUND:
            self._refund_complete(ret, at=refund_at)

    def _refund_complete(self, ret: Return, *, at: datetime) -> None:
        # The resolution recorded the refund owed; the shop's payment provider pays it out now.
        refund = self.order.refunds.filter(external_id=f"return:{ret.rma}").first()
        if refund is None:
            return
        with transaction.atomic():
            order = services.order_locked(self.order.pk)
            services.refund_record(
                order=order,
                amount=refund.amount,
                reason=refund.reason,
                requested_at=refund.requested_at,
                completed_at=at,
                now=at,
                external_id=refund.external_id,
            )
        self.tally.refunds += 1
