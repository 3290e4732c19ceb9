"""What tickets add to segment rules: the satisfaction ratings a customer gave."""

from django.db.models import Q

from lifecycle.segments import COMPARISONS, Field
from tickets.models import CsatRating


def _csat(op: str, value, now) -> Q:
    if op == "ne":
        ratings = CsatRating.objects.exclude(rating=value)
    else:
        ratings = CsatRating.objects.filter(**{f"rating{COMPARISONS[op]}": value})
    return Q(pk__in=ratings.values("ticket__customer_id"))


FIELDS = [
    Field("csat", "A satisfaction rating given (1-5)", "number", tuple(COMPARISONS), _csat),
]
