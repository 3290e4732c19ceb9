import factory

from knowledgebase import services
from knowledgebase.models import Article, Category


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda c: c.name.lower().replace(" ", "-"))


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article saved as an editor saves one: rendered, revised and indexed."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Answer number {n}")
    summary = ""
    body = "Nothing to see here."
    kind = Article.Kind.FAQ
    status = Article.Status.PUBLISHED
    category = factory.SubFactory(CategoryFactory, name="General")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        editor = kwargs.pop("editor", None)
        now = kwargs.pop("now", None)
        return services.article_save(data=kwargs, editor=editor, now=now)
