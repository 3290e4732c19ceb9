"""Forms of the customer's order pages (/track/). They parse and bound the input; the rules about what
a customer may ask for, and when, are orders.services'."""

from django import forms
from django.core.exceptions import ValidationError

from orders.models import OrderItem, Return


class TrackLookupForm(forms.Form):
    number = forms.CharField(
        label="Order number",
        max_length=50,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The address you used when you ordered.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ReturnRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label="What do you need?",
        choices=[
            (Return.Kind.RETURN, "Send it back"),
            (Return.Kind.PRICE_PROTECTION, "Price protection: the price dropped after I bought"),
            (Return.Kind.REPAIR, "A repair"),
            (Return.Kind.RECALL, "It is part of a product recall"),
        ],
    )
    resolution = forms.ChoiceField(label="What would you like us to do?", choices=Return.Resolution.choices)
    reason = forms.CharField(
        label="What is wrong?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, returnable: list[tuple[OrderItem, int]], **kwargs):
        """`returnable`: each item of the order that can still go back, with how many of it."""
        super().__init__(*args, **kwargs)
        self.lines = []
        for item, available in returnable:
            name = f"quantity_{item.pk}"
            self.fields[name] = forms.IntegerField(
                label=item.name,
                min_value=0,
                max_value=available,
                required=False,
                initial=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
            )
            self.lines.append((item, available, name))

    def quantity_fields(self):
        """(item, how many can go back, bound field) for the template."""
        return [(item, available, self[name]) for item, available, name in self.lines]

    def detail_fields(self):
        """The fields after the items; `kind` comes before them."""
        return [self["resolution"], self["reason"]]

    def clean(self):
        cleaned = super().clean()
        if self.lines and not self.errors and not self.items():
            raise ValidationError("Choose at least one item and how many of it.", code="no_items")
        return cleaned

    def items(self) -> list[dict]:
        """The lines for orders.services.return_request: only this order's items, only quantities > 0."""
        return [
            {"order_item": item.pk, "quantity": self.cleaned_data[name]}
            for item, _available, name in self.lines
            if self.cleaned_data.get(name)
        ]


class CancelRequestForm(forms.Form):
    reason = forms.CharField(
        label="Why? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProblemReportForm(forms.Form):
    message = forms.CharField(
        label="What went wrong?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
