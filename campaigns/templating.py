"""Marketer-written email templates: Django's template language in an engine of its own that can reach
nothing but the plain data it is given.

- The context holds only dicts, lists, strings, numbers, dates and Decimals built here
  (`message_context`), never a model instance, so no template can follow a relation, call a manager
  or reach the database.
- The engine has no context processors (no `settings`, `request` or `user`), no loaders (no
  `include` or `extends` of files), and its tags and filters are an allow-list: `load`, `debug` (which
  prints the context and loaded modules), `url`, `csrf_token` and `pprint` are not there.
- Names starting with an underscore are refused by Django's template compiler itself.
- Each rendering gets a copy of the context: a template that calls `{{ recommendations.pop }}` or sets a
  name (`{% regroup … as group %}`) changes nothing for the message's other parts.

A template that does not compile, or fails to render for the made-up customer of the preview, is refused
when it is saved, with the line of the error. What depends on one customer's data cannot fail a message:
a filter that cannot take its value renders nothing (as Django asks of filters, and as a missing name
renders nothing), `for` and `regroup` find no items in what is not a collection, and `widthratio` with a
width that is not a number renders nothing.
"""

import copy
import functools
from datetime import datetime

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags

from carecrm import clock

ALLOWED_TAGS = (
    "autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged", "now", "regroup",
    "resetcycle", "spaceless", "templatetag", "verbatim", "widthratio", "with",
)  # fmt: skip
REFUSED_FILTERS = {"pprint", "json_script"}


def _failing_silently(function):
    # Some of Django's own filters raise on values or arguments they do not expect (divisibleby:0,
    # wordwrap:0, ljust:"wide", unordered_list with an argument): one customer's data would fail the
    # message. functools.wraps keeps is_safe, needs_autoescape and the signature Django checks.
    @functools.wraps(function)
    def filtered(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            return ""

    return filtered


class _Items:
    """The sequence of a `for` or `regroup`: what is not a collection (a number, a date) has no items."""

    def __init__(self, expression):
        self.expression = expression

    def resolve(self, context, ignore_failures=False):
        value = self.expression.resolve(context, ignore_failures=ignore_failures)
        try:
            iter(value)
        except TypeError:
            return []
        return value

    def __str__(self):
        return str(self.expression)


def _for(parser, token):
    node = defaulttags.do_for(parser, token)
    node.sequence = _Items(node.sequence)
    return node


def _regroup(parser, token):
    node = defaulttags.regroup(parser, token)
    node.target = _Items(node.target)
    return node


class _WidthRatioNode(defaulttags.WidthRatioNode):
    def render(self, context):
        try:
            return super().render(context)
        except TemplateSyntaxError:  # Django's answer, at render time, to a width that is not a number
            return ""


def _widthratio(parser, token):
    node = defaulttags.widthratio(parser, token)
    return _WidthRatioNode(node.val_expr, node.max_expr, node.max_width, node.asvar)


register = Library()
register.tags.update({name: defaulttags.register.tags[name] for name in ALLOWED_TAGS})
register.tags.update({"for": _for, "regroup": _regroup, "widthratio": _widthratio})
register.filters.update(
    {
        name: _failing_silently(function)
        for name, function in defaultfilters.register.filters.items()
        if name not in REFUSED_FILTERS
    }
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
    """Refuse a template that does not compile, or does not render for the made-up customer of the
    preview (a `for a, b in` over single letters), naming the line and what is wrong there."""
    try:
        template = _engine.from_string(source)
        template.render(Context(sample_context(now=clock.now())))
    except Exception as error:  # the engine's debug mode puts the line on any error, not only syntax
        debug = getattr(error, "template_debug", None) or {}
        line = debug.get("line")
        where = f"line {line}: " if line else ""
        raise ValidationError({field: f"{where}{error}"}) from error


def render(source: str, context: dict, *, html: bool) -> str:
    engine = _engine if html else _text_engine
    return engine.from_string(source).render(Context(copy.deepcopy(context), autoescape=html))


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
