"""Carriers and their public tracking pages. A carrier the registry does not know keeps its tracking
number, shown without a link."""

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings

from orders.models import Carrier


@dataclass(frozen=True)
class CarrierInfo:
    code: str
    name: str
    tracking_url: str  # with {number}; empty when the carrier has no public page
    aliases: tuple[str, ...] = ()


REGISTRY: dict[str, CarrierInfo] = {
    info.code: info
    for info in (
        CarrierInfo(
            Carrier.FEDEX, "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}", ("federal express",)
        ),
        CarrierInfo(
            Carrier.UPS, "UPS", "https://www.ups.com/track?tracknum={number}", ("united parcel service",)
        ),
        CarrierInfo(
            Carrier.DHL,
            "DHL",
            "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
            ("dhl express", "dhl parcel", "dhl ecommerce"),
        ),
        CarrierInfo(
            Carrier.USPS,
            "USPS",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
            ("us postal service", "united states postal service"),
        ),
        CarrierInfo(
            Carrier.ROYAL_MAIL,
            "Royal Mail",
            "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
            ("royalmail",),
        ),
        CarrierInfo(
            Carrier.BLUE_DART,
            "Blue Dart",
            "https://www.bluedart.com/trackdartresultthirdparty?trackFor=0&trackNo={number}",
            ("bluedart",),
        ),
        CarrierInfo(Carrier.DELHIVERY, "Delhivery", "https://www.delhivery.com/track/package/{number}", ()),
        CarrierInfo(
            Carrier.OWN_FLEET, "Our own delivery", "", ("own", "own fleet", "shop fleet", "local delivery")
        ),
    )
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


_BY_NAME = {
    _key(alias): info.code for info in REGISTRY.values() for alias in (info.code, info.name, *info.aliases)
}


def carrier_code(name: str) -> str:
    """The registry's code for a carrier as a store names it ("FedEx", "royal_mail", "Royal Mail"…)."""
    return _BY_NAME.get(_key(name or ""), Carrier.OTHER)


def tracking_url(carrier: str, tracking_number: str) -> str:
    if not tracking_number:
        return ""
    if carrier == Carrier.OWN_FLEET:
        template = settings.CARECRM.get("OWN_FLEET_TRACKING_URL", "")
    else:
        info = REGISTRY.get(carrier)
        template = info.tracking_url if info else ""
    return template.format(number=quote(tracking_number, safe="")) if template else ""
