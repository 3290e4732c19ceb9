"""Demo help centre: the categories and articles of demo_content, saved through knowledgebase.services as
an editor would (rendered, revised, indexed), with the views and votes a shop's help centre gathers over a
while, drawn from the run's seed so two runs agree."""

import random
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F

from carecrm.demo import Options, Progress
from knowledgebase import services
from knowledgebase.models import Article, Category


def articles_present() -> bool:
    return Article.objects.exists()


def articles_seed(*, options: Options, progress: Progress, now: datetime) -> str:
    from knowledgebase import demo_content  # a large module of text, needed only here

    if articles_present():
        return "knowledge base already has articles"
    rng = random.Random(f"{options.seed}:knowledgebase")  # noqa: S311 (demo data, not secrets)
    editor = get_user_model().objects.filter(username="manager").first()
    with transaction.atomic():
        categories = {}
        for position, row in enumerate(demo_content.CATEGORIES):
            categories[row["slug"]], _ = Category.objects.get_or_create(
                slug=row["slug"],
                defaults={"name": row["name"], "description": row["description"], "position": position},
            )
        with progress(total=len(demo_content.ARTICLES), desc="articles") as bar:
            for row in demo_content.ARTICLES:
                written = now - timedelta(days=rng.randint(20, 400))
                article = services.article_save(
                    data={**row, "category": categories[row["category"]]}, editor=editor, now=written
                )
                if article.is_published:
                    views = int(rng.paretovariate(1.2) * 40)
                    Article.objects.filter(pk=article.pk).update(
                        views_count=F("views_count") + views,
                        helpful_count=rng.randint(0, max(views // 8, 1)),
                        unhelpful_count=rng.randint(0, max(views // 40, 1)),
                        deflections_count=rng.randint(0, max(views // 10, 1)),
                    )
                bar.update()
    return f"{len(demo_content.ARTICLES)} articles in {len(categories)} categories"
