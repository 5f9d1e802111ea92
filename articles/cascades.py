"""What articles does when an account is removed or anonymised (users.signals).

A removed user's favorites are taken back and their articles deleted through the services,
so each removal publishes its event and moves its counters, before the account row goes. An
anonymised user's favorites are taken back (what they liked is about the person); their
articles stay, as content.
"""

from typing import Any

from articles.models import Article
from articles.services import article_delete, article_unfavorite
from users.models import User


def take_back_favorites_of_anonymised_user(sender: type, user: User, **kwargs: Any) -> None:
    """Unfavorite what the user favorited."""
    for article in Article.objects.filter(favorites__user=user).order_by("pk"):
        article_unfavorite(article=article, user=user)


def remove_articles_and_favorites_of_removed_user(sender: type, user: User, **kwargs: Any) -> None:
    """Unfavorite what the user favorited, then delete what they wrote."""
    take_back_favorites_of_anonymised_user(sender, user)
    for article in Article.objects.filter(author=user).order_by("pk"):
        article_delete(article=article, user=user)
