"""Demo customers, registered through `customer_upsert` like the store's own, so each has its
`registered` event (and `subscribed` when it gave consent) for the subscribers and the timeline."""

import random
import unicodedata
from datetime import datetime, timedelta

from django.db import transaction
from faker import Faker

from carecrm.demo import Options, Progress, batches
from customers.models import Customer
from lifecycle.services import customer_upsert, events_dispatched_together

# (Faker locale, ISO country, calling code, mobile prefixes, cities by rough size), by share of customers.
_MARKETS = [
    (
        "de_DE",
        "DE",
        "49",
        ["151", "160", "170", "176"],
        ["Berlin", "Hamburg", "Munich", "Cologne", "Leipzig"],
    ),
    ("fr_FR", "FR", "33", ["6", "7"], ["Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes"]),
    (
        "en_GB",
        "GB",
        "44",
        ["7700", "7911", "7400"],
        ["London", "Manchester", "Birmingham", "Leeds", "Bristol"],
    ),
    ("nl_NL", "NL", "31", ["6"], ["Amsterdam", "Rotterdam", "Utrecht", "The Hague", "Eindhoven"]),
    ("it_IT", "IT", "39", ["320", "333", "347"], ["Milan", "Rome", "Turin", "Bologna", "Florence"]),
    ("es_ES", "ES", "34", ["6", "7"], ["Madrid", "Barcelona", "Valencia", "Seville", "Bilbao"]),
    ("pl_PL", "PL", "48", ["50", "60", "79"], ["Warsaw", "Kraków", "Wrocław", "Gdańsk", "Poznań"]),
    ("de_AT", "AT", "43", ["650", "664", "676"], ["Vienna", "Graz", "Linz", "Salzburg", "Innsbruck"]),
    ("sv_SE", "SE", "46", ["70", "72", "73"], ["Stockholm", "Gothenburg", "Malmö", "Uppsala"]),
]
_MARKET_WEIGHTS = [30, 15, 15, 10, 8, 8, 6, 4, 4]
_CHANNELS = {
    "organic_search": 26,
    "google_ads": 18,
    "direct": 14,
    "instagram": 11,
    "facebook": 8,
    "newsletter": 7,
    "referral": 7,
    "affiliate": 5,
    "marketplace": 4,
}
_TAGS = {"newsletter-signup": 10, "gift-buyer": 6, "b2b": 4, "vip": 3, "eco-interest": 5, "wholesale": 1}
_EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example"]
_HISTORY_DAYS = 730
_BATCH = 250


def customers_present() -> bool:
    return Customer.objects.exists()


def customers_seed(*, options: Options, progress: Progress, now: datetime) -> str:
    """`options.customers` customers who registered over the last two years, more of them lately, as a
    growing shop sees. The same seed draws the same customers, so a second run registers only those
    still missing and leaves the others as they are."""
    rng = random.Random(options.seed)  # noqa: S311 -- demo data, repeatable on purpose
    fakers = {}
    for position, (locale, *_rest) in enumerate(_MARKETS):
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(options.seed * 100 + position)
    created = 0
    with progress(total=options.customers, desc="customers") as bar:
        for batch in batches(options.customers, _BATCH):
            # Drawn even when already there, so that customer i is the same whatever came before it.
            rows = [_customer_data(index, rng=rng, fakers=fakers, now=now) for index in batch]
            with events_dispatched_together(), transaction.atomic():
                there = set(
                    Customer.objects.filter(external_id__in=[row["external_id"] for row in rows]).values_list(
                        "external_id", flat=True
                    )
                )
                for data in rows:
                    if data["external_id"] not in there:
                        customer_upsert(data=data, source="demo", now=now)
                        created += 1
            bar.update(len(rows))
    kept = options.customers - created
    return f"{created} customers registered" + (f", {kept} already there" if kept else "")


def _customer_data(index: int, *, rng: random.Random, fakers: dict[str, Faker], now: datetime) -> dict:
    locale, country, calling_code, mobile_prefixes, cities = rng.choices(_MARKETS, weights=_MARKET_WEIGHTS)[0]
    fake = fakers[locale]
    first_name, last_name = fake.first_name(), fake.last_name()
    # u**1.7 crowds the registrations towards today; the hour follows a shopper's day, not the clock.
    age = timedelta(days=_HISTORY_DAYS * rng.random() ** 1.7)
    day = (now - age).replace(hour=0, minute=0, second=0, microsecond=0)
    registered_at = day + timedelta(hours=rng.triangular(6, 24, 20), seconds=rng.randrange(3600))
    if registered_at > now:
        # Today's share of the day has not happened yet: they registered earlier today instead.
        registered_at = now - timedelta(seconds=rng.randrange(60, 8 * 3600))
    consent = rng.random() < 0.6
    data = {
        "external_id": f"demo-{index + 1:06d}",
        "email": f"{_ascii(first_name)}.{_ascii(last_name)}{index + 1}@{rng.choice(_EMAIL_DOMAINS)}",
        "first_name": first_name,
        "last_name": last_name,
        "registered_at": registered_at,
        "acquisition_channel": rng.choices(list(_CHANNELS), weights=list(_CHANNELS.values()))[0],
        "country": country,
        # Big cities first in each list, so they get most customers.
        "city": rng.choices(cities, weights=range(len(cities), 0, -1))[0],
        "marketing_opt_in": consent,
        "marketing_opt_in_at": registered_at,
        "marketing_opt_in_source": "signup",
        "tags": [tag for tag, percent in _TAGS.items() if rng.random() * 100 < percent],
    }
    if rng.random() < 0.45:
        # Unique by construction: 7919 is prime to 10**7, so the index maps to distinct subscriber numbers.
        number = (index * 7919 + 1_234_567) % 10_000_000
        data["phone"] = f"+{calling_code} {rng.choice(mobile_prefixes)} {number:07d}"
    return data


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum()) or "customer"
