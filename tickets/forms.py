"""The public contact form. It parses and bounds what the customer typed; tickets.services decides what
becomes of it."""

from django import forms


class ContactForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=150, required=False)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We answer here. If you have ordered from us, use the address you ordered with.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    order_number = forms.CharField(
        label="Order number (optional)",
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    subject = forms.CharField(
        label="What is it about?",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label="Your message",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    search_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
