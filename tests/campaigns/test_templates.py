"""Marketer-written templates reach only the plain data given to them, and a broken one is refused at
save time with the line of the error."""

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign, Step
from campaigns.templating import render, sample_context, template_check
from carecrm import clock

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "source",
    [
        "{% load static %}",
        "{% debug %}",
        '{% include "admin/base.html" %}',
        '{% extends "admin/base.html" %}',
        "{{ customer.__class__ }}",
        "{{ customer._meta }}",
        "{% url 'admin:index' %}",
        "{% csrf_token %}",
        "{{ customer|pprint }}",
    ],
)
def test_hostile_templates_are_refused(source):
    with pytest.raises(ValidationError):
        template_check(source, field="html")


@pytest.mark.parametrize(
    "source",
    [
        "{{ settings.SECRET_KEY }}{{ request.user }}{{ user.password }}{{ perms }}",
        "{{ customer.objects.all }}{{ order.delete }}{{ customer.save }}",
        "{{ coupon.expires_at.tzinfo.utcoffset }}{{ order.total.as_integer_ratio.denominator }}x",
    ],
)
def test_what_is_not_in_the_context_renders_as_nothing(source, settings):
    rendered = render(source, sample_context(now=clock.now()), html=True)

    assert settings.SECRET_KEY not in rendered
    assert "Customer object" not in rendered
    assert rendered.strip() in ("", "x")


def test_the_context_holds_no_model_instances():
    from campaigns.sending import message_context
    from tests.factories import CustomerFactory

    context = message_context(customer=CustomerFactory(), coupon=None, unsubscribe="https://x/")

    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or type(value).__module__ in ("builtins", "datetime", "decimal")

    assert plain(context)


def test_a_broken_template_is_refused_at_save_with_its_line():
    campaign = Campaign.objects.create(slug="news", name="News")
    step = Step(
        campaign=campaign,
        position=1,
        name="Newsletter",
        subject="Hello {{ customer.first_name }}",
        html="<p>Hello</p>\n<p>{% if coupon %}{{ coupon.code }}</p>\n",
        text="Hello {{ customer.first_name|nosuchfilter }}",
    )

    with pytest.raises(ValidationError) as refused:
        step.full_clean()

    errors = refused.value.message_dict
    assert errors["html"][0].startswith("line 2: ")
    assert "endif" in errors["html"][0]
    assert errors["text"][0].startswith("line 1: Invalid filter: 'nosuchfilter'")
    assert "subject" not in errors


def test_values_from_customers_are_escaped_in_html_but_not_in_text():
    context = {"customer": {"first_name": "<script>x</script>"}}
    assert render("{{ customer.first_name }}", context, html=True) == "&lt;script&gt;x&lt;/script&gt;"
    assert render("{{ customer.first_name }}", context, html=False) == "<script>x</script>"
