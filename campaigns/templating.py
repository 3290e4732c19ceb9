"""Marketer-written email templates: Django's template language in an engine of its own that can reach
nothing but the plain data it is given.

- The context holds only dicts, lists, strings, numbers, dates and Decimals built here
  (`message_context`), never a model instance, so no template can follow a relation, call a manager
  or reach the database.
- The engine has no context processors (no `settings`, `request` or `user`), no loaders (no
  `include` or `extends` of files), and its tags and filters are an allow-list: `load`, `debug` (which
  prints the context and loaded modules), `url`, `csrf_token` and `pprint` are not there.
- Names starting with an underscore are refused by Django's template compiler itself.

A template that does not compile is refused when it is saved, with the line of the error.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags

ALLOWED_TAGS = (
    "autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged", "now", "regroup",
    "resetcycle", "spaceless", "templatetag", "verbatim", "widthratio", "with",
)  # fmt: skip
REFUSED_FILTERS = {"pprint", "json_script"}

register = Library()
register.tags.update({name: defaulttags.register.tags[name] for name in ALLOWED_TAGS})
register.filters.update(
    {name: f for name, f in defaultfilters.register.filters.items() if name not in REFUSED_FILTERS}
)


class _RestrictedEngine(Engine):
    default_builtins = ["campaigns.templating"]


_engine = _RestrictedEngine(
    debug=True,  # keeps the line of a syntax error for the marketer
    loaders=[("django.template.loaders.locmem.Loader", {})],
    libraries={},
    autoescape=True,
    string_if_invalid="",
)
_text_engine = _RestrictedEngine(
    debug=True,
    loaders=[("django.template.loaders.locmem.Loader", {})],
    libraries={},
    autoescape=False,
    string_if_invalid="",
)


def template_check(source: str, *, field: str) -> None:
    """Refuse a template that does not compile, naming the line and what is wrong there."""
    try:
        _engine.from_string(source)
    except TemplateSyntaxError as error:
        debug = getattr(error, "template_debug", None) or {}
        line = debug.get("line")
        where = f"line {line}: " if line else ""
        raise ValidationError({field: f"{where}{error}"}) from error


def render(source: str, context: dict, *, html: bool) -> str:
    engine = _engine if html else _text_engine
    return engine.from_string(source).render(Context(context, autoescape=html))


def sample_context(*, now: datetime) -> dict:
    """What a template can use, filled with made-up values: for previews without a customer and for the
    help beside the editor."""
    return {
        "customer": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "full_name": "Ada Lovelace",
            "email": "ada@example.com",
            "stage": "new",
            "loyalty_points": 120,
            "loyalty_tier": "Bronze",
        },
        "order": {
            "number": "100123",
            "total": "59.90",
            "currency": "EUR",
            "placed_at": now,
            "track_url": "https://shop.example/track/?number=100123",
        },
        "coupon": {"code": "WELCOME-7KQ2MD", "label": "10 %", "expires_at": now},
        "recommendations": [{"sku": "KIT-102", "name": "Chef's knife 20 cm"}],
        "unsubscribe_url": "https://shop.example/unsubscribe/…/",
        "help_url": "https://shop.example/help/",
        "track_url": "https://shop.example/track/",
    }


def template_variables(*, now: datetime) -> list[str]:
    """The names a template can use, for the help beside the editor: customer.first_name, coupon.code…"""
    names = []
    for name, value in sample_context(now=now).items():
        if isinstance(value, dict):
            names.extend(f"{name}.{key}" for key in value)
        elif isinstance(value, list):
            names.append(f"{name} (a list of: {', '.join(value[0])})")
        else:
            names.append(name)
    return names
