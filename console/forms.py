"""Console forms. They parse what staff typed; the services decide what becomes of it."""

from django import forms

from knowledgebase.models import Article, Category


class ListField(forms.CharField):
    """A comma-separated list in one text box."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [part.strip() for part in (value or "").split(",") if part.strip()]


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences that answer on their own: shown in search results and suggestions.",
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18, "class": "mono"}), help_text="Markdown.")
    kind = forms.ChoiceField(choices=Article.Kind.choices)
    category = forms.ModelChoiceField(queryset=Category.objects.all())
    policy = forms.ChoiceField(
        choices=Article.Policy.choices,
        required=False,
        help_text="Shown first on /help/ as one of the shop's promises. One published page per policy.",
    )
    tags = ListField(required=False, help_text="Comma-separated.")
    related_skus = ListField(required=False, label="Related SKUs", help_text="Comma-separated.")
    related_categories = ListField(
        required=False, label="Related product categories", help_text="Comma-separated."
    )


ARTICLE_INITIAL_FIELDS = list(ArticleForm.base_fields)


class TicketLogForm(forms.Form):
    """A phone call or a chat an agent writes down as a ticket."""

    channel = forms.ChoiceField(choices=[("phone", "Phone call"), ("chat", "Chat transcript")])
    email = forms.EmailField(label="Customer's email", max_length=254)
    name = forms.CharField(label="Customer's name", max_length=150, required=False)
    order_number = forms.CharField(label="Order number", max_length=50, required=False)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        label="What the customer said", max_length=100_000, widget=forms.Textarea(attrs={"rows": 8})
    )
