import factory

from articles.tests.factories import ArticleFactory
from comments.models import Comment
from users.tests.factories import UserFactory


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    article = factory.SubFactory(ArticleFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Thank you, this helped ({n}).")
