"""Properties of marketer-written templates (campaigns.templating), over any template text: it is refused
when saved, naming its line, or it renders, for the made-up customer of the preview and for any real one;
rendering reaches nothing outside its plain context and changes nothing in it."""

import copy
import re
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.template import defaultfilters
from django.utils.html import escape
from hypothesis import example, given, settings
from hypothesis import strategies as st

from campaigns.templating import render, sample_context, template_check

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SECRET = "canary-secret-4f1d9a"
# How a Python object other than a plain value shows when printed.
PYTHON_OBJECTS = ("<bound method", " object at 0x", "<class '", "<function ", "<built-in", "<module '")

# --- Template text ------------------------------------------------------------------------------------

# Literal text and string literals never hold "<" or "&", so a Python object's repr in the output
# ("<bound method …>", "&lt;class …") can only have come from the rendering.
LITERAL = "abcxyz ABC 0123456789.,;:!?-_/()[]=+*'\n"
literal_text = st.text(alphabet=LITERAL, max_size=12)
names = st.sampled_from(
    [
        *sample_context(now=NOW),
        *["settings", "request", "user", "perms", "csrf_token", "forloop", "block", "SECRET_KEY"],
        *["item", "a", "b", "group", "seen"],
    ]
)
attributes = st.sampled_from(
    [
        *["first_name", "last_name", "full_name", "email", "stage", "loyalty_points", "loyalty_tier"],
        *["number", "total", "currency", "placed_at", "track_url", "code", "label", "expires_at"],
        *["sku", "name", "0", "1", "-1", "grouper", "list", "counter", "parentloop", "first"],
        # methods and attributes of the plain values themselves
        *["items", "keys", "values", "pop", "popitem", "clear", "copy", "get", "append", "reverse", "sort"],
        *["tzinfo", "now", "today", "year", "fromtimestamp", "replace", "astimezone", "resolution"],
        *["encode", "format", "split", "upper", "real", "numerator", "bit_length", "as_integer_ratio"],
        # what no template may reach
        *["__class__", "_meta", "__dict__", "__globals__", "mro", "__subclasses__", "SECRET_KEY"],
        *["objects", "delete", "save", "customer", "_wrapped", "gi_frame", "f_globals"],
    ]
)
string_literals = st.builds(lambda text: f'"{text}"', st.text(alphabet=LITERAL.replace("'", ""), max_size=8))
number_literals = st.sampled_from(["0", "1", "-1", "2", "3", "0.5", "-0", "1e400", "999999999999", "10"])
variables = st.builds(
    lambda name, path: ".".join([name, *path]), names, st.lists(attributes, max_size=3)
) | st.sampled_from(["customer.loyalty_points", "order.placed_at", "coupon.expires_at", "recommendations"])
arguments = variables | string_literals | number_literals
filter_names = st.sampled_from(
    [*defaultfilters.register.filters, "nosuchfilter", "safe", "escape", "add", "date"]
)
filter_chains = st.lists(
    st.builds(lambda name, arg: f"|{name}" + (f":{arg}" if arg else ""), filter_names, st.none() | arguments),
    max_size=3,
).map("".join)
expressions = st.builds(lambda base, chain: base + chain, arguments, filter_chains)
outputs = st.builds(lambda expression: "{{ " + expression + " }}", expressions)

simple_tags = st.one_of(
    st.builds(lambda a, b, c: f"{{% widthratio {a} {b} {c} %}}", arguments, arguments, arguments),
    st.builds(lambda fmt: f"{{% now {fmt} %}}", string_literals),
    st.builds(lambda a, b: f"{{% cycle {a} {b} %}}", arguments, arguments),
    st.builds(lambda a, b: f"{{% firstof {a} {b} %}}", expressions, arguments),
    st.sampled_from(
        [
            "{% templatetag openblock %}",
            "{% templatetag nonsense %}",
            "{% resetcycle %}",
            "{% cycle 'a' 'b' as seen %}{% resetcycle seen %}",
            # what the engine does not have
            "{% load static %}",
            "{% debug %}",
            "{% csrf_token %}",
            "{% url 'admin:index' %}",
            '{% include "admin/base.html" %}',
            '{% extends "admin/base.html" %}',
            "{% lorem %}",
            "{% block content %}{% endblock %}",
            # half a tag, or a tag in pieces
            "{%",
            "%}",
            "{{",
            "}}",
            "{#",
            "{% if %}",
            "{% for %}",
            "{% endif %}",
            "{{ }}",
            "{{ customer.first_name|date:'r' }}",
        ]
    ),
)


def blocks(children):
    # An end tag is sometimes missing, so unbalanced templates are tried too.
    end = st.sampled_from([True, True, True, False])
    return st.one_of(
        st.builds(
            lambda condition, body, other, ended: (
                f"{{% if {condition} %}}{body}{{% else %}}{other}" + ("{% endif %}" if ended else "")
            ),
            st.sampled_from(["", "not ", "customer.stage == 'new' and "]).flatmap(
                lambda prefix: expressions.map(lambda expression: prefix + expression)
            ),
            children,
            children,
            end,
        ),
        st.builds(
            lambda loop, sequence, body, empty, ended: (
                f"{{% for {loop} in {sequence} %}}{body}"
                f"{{% empty %}}{empty}" + ("{% endfor %}" if ended else "")
            ),
            st.sampled_from(["item", "a, b", "a, b, c"]),
            expressions,
            children,
            children,
            end,
        ),
        st.builds(
            lambda value, body, ended: (
                f"{{% with item={value} %}}{body}" + ("{% endwith %}" if ended else "")
            ),
            expressions,
            children,
            end,
        ),
        st.builds(
            lambda chain, body: f"{{% filter {chain.lstrip('|') or 'upper'} %}}{body}{{% endfilter %}}",
            filter_chains,
            children,
        ),
        st.builds(
            lambda sequence, key, body: f"{{% regroup {sequence} by {key} as group %}}{body}",
            expressions,
            attributes,
            children,
        ),
        st.builds(lambda body: f"{{% spaceless %}}{body}{{% endspaceless %}}", children),
        st.builds(
            lambda mode, body: f"{{% autoescape {mode} %}}{body}{{% endautoescape %}}",
            st.sampled_from(["on", "off", "maybe"]),
            children,
        ),
        st.builds(lambda body: f"{{% ifchanged %}}{body}{{% endifchanged %}}", children),
        st.builds(lambda body: f"{{% verbatim %}}{body}{{% endverbatim %}}", children),
        st.builds(lambda body: f"{{% comment %}}{body}{{% endcomment %}}", children),
        st.lists(children, min_size=2, max_size=4).map("".join),
    )


templates = st.recursive(literal_text | outputs | simple_tags, blocks, max_leaves=8)
any_text = templates | st.text(max_size=40)


# --- Contexts of real customers -------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
texts = st.text(max_size=20)
real_contexts = st.fixed_dictionaries(
    {
        "customer": st.fixed_dictionaries(
            {
                "first_name": texts,
                "last_name": texts,
                "full_name": texts,
                "email": texts,
                "stage": st.sampled_from(["prospect", "new", "active", "loyal", "dormant", "lost"]),
                # a ledger's balance, which refunds can take below zero
                "loyalty_points": st.integers(min_value=-(10**4), max_value=10**6),
                "loyalty_tier": texts,
            }
        ),
        "order": st.none()
        | st.fixed_dictionaries(
            {
                "number": texts,
                "total": st.decimals(min_value=0, max_value=10**9, places=2).map(str),
                "currency": st.sampled_from(["EUR", "JPY", "KWD"]),
                "placed_at": moments,
                "track_url": texts,
            }
        ),
        "coupon": st.none() | st.fixed_dictionaries({"code": texts, "label": texts, "expires_at": moments}),
        "recommendations": st.lists(st.fixed_dictionaries({"sku": texts, "name": texts}), max_size=3),
        "unsubscribe_url": texts,
        "help_url": texts,
        "track_url": texts,
    }
)


def accepted(source: str) -> bool:
    try:
        template_check(source, field="html")
    except ValidationError:
        return False
    return True


# --- Properties (rendering is quick: each looks further than the suite's default) ---------------


@settings(max_examples=200)
@given(source=any_text)
@example(source="{{ customer.loyalty_points|divisibleby:0 }}")
@example(source="{{ customer.first_name|wordwrap:0 }}")
@example(source='{{ customer.first_name|ljust:"wide" }}')
@example(source="{% for item in customer.loyalty_points %}{{ item }}{% endfor %}")
@example(source="{% regroup order.placed_at by year as group %}")
@example(source="{% for a, b in customer.first_name %}{{ a }}{% endfor %}")
def test_any_template_text_is_refused_naming_its_line_or_renders_for_the_preview(source):
    # when a marketer saves any text at all as a template
    try:
        template_check(source, field="html")
    except ValidationError as refused:
        # then a refusal names the line at fault, one of the template's own
        (message,) = refused.message_dict["html"]
        line = re.match(r"line (\d+): \S", message)
        assert line, message
        assert 1 <= int(line.group(1)) <= source.count("\n") + 1
        return

    # or else the preview renders it, as HTML and as text
    for html in (True, False):
        assert isinstance(render(source, sample_context(now=NOW), html=html), str)


@settings(max_examples=200)
@given(source=templates, context=real_contexts)
@example(
    source="{{ customer.first_name|add:1|divisibleby:customer.loyalty_points }}",
    context={**sample_context(now=NOW), "customer": {"first_name": "7", "loyalty_points": 0}},
)
@example(
    source="{% for item in customer.first_name|add:1 %}{{ item }}{% endfor %}",
    context={**sample_context(now=NOW), "customer": {"first_name": "7"}},
)
@example(
    source="{{ customer.first_name|wordwrap:customer.loyalty_points }}",
    context={**sample_context(now=NOW), "customer": {"first_name": "Ada", "loyalty_points": 0}},
)
def test_a_template_that_was_accepted_renders_for_any_customer(source, context):
    # given a template that was accepted when it was saved
    if not accepted(source):
        return

    # when it is sent to any customer at all
    for html in (True, False):
        rendered = render(source, copy.deepcopy(context), html=html)

        # then it renders: one customer's data never fails a campaign's message
        assert isinstance(rendered, str)


@settings(max_examples=200)
@given(source=templates)
@example(source="{{ settings.SECRET_KEY }}{{ customer.__class__ }}{{ customer.get.__globals__ }}")
@example(source="{{ customer.clear }}{{ recommendations.pop }}{{ coupon.popitem }}{{ customer.first_name }}")
def test_rendering_reaches_nothing_outside_its_context_and_changes_nothing_in_it(source, settings):
    settings.SECRET_KEY = SECRET
    settings.EMAIL_HOST_PASSWORD = SECRET
    context = sample_context(now=NOW)
    before = copy.deepcopy(context)

    # when any template is rendered, as HTML and as text
    for html in (True, False):
        try:
            rendered = render(source, context, html=html)
        except Exception:  # what does not compile is refused at save time, not rendered
            assert not accepted(source)
            return

        # then no setting and no Python object shows through, only plain values
        assert SECRET not in rendered
        for trace in PYTHON_OBJECTS:
            assert trace not in rendered and escape(trace) not in rendered, rendered
        # and the context, rendered next for the message's other part, is as it was
        assert context == before
