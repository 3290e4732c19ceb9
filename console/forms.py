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
