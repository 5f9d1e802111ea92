import factory
from django.utils.text import slugify

from articles.counters import counters_rebuild
from articles.models import Article, ArticleTag, Favorite
from tags.tests.factories import TagFactory
from users.tests.factories import UserFactory


class ArticleFactory(factory.django.DjangoModelFactory):
    """Writes rows directly (no events) and recounts the counters the services would keep;
    for arranging a test, not for testing services."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"How to train your dragon {n}")
    slug = factory.LazyAttribute(lambda article: slugify(article.title))
    description = "Ever wonder how?"
    body = "You have to believe."
    author = factory.SubFactory(UserFactory)

    @factory.post_generation
    def tag_list(article, create, extracted, **kwargs):
        """`ArticleFactory(tag_list=["training", "dragons"])`, stored as the services store
        it: sorted, duplicates dropped."""
        if create and extracted:
            extracted = sorted(set(extracted))
            for position, name in enumerate(extracted):
                ArticleTag.objects.create(
                    article=article,
                    tag=TagFactory(name=name),
                    position=position,
                    article_created_at=article.created_at,
                )
        if create and extracted:
            article.tag_list = extracted
            Article.objects.filter(pk=article.pk).update(tag_list=article.tag_list)
        if create:
            counters_rebuild()


class FavoriteFactory(factory.django.DjangoModelFactory):
    """Also recounts the denormalised counters, which the services keep."""

    class Meta:
        model = Favorite

    user = factory.SubFactory(UserFactory)
    article = factory.SubFactory(ArticleFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        favorite = super()._create(model_class, *args, **kwargs)
        counters_rebuild()
        return favorite
