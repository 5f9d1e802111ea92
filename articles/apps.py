from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"

    def ready(self) -> None:
        from articles.cascades import (
            remove_articles_and_favorites_of_removed_user,
            take_back_favorites_of_anonymised_user,
        )
        from users.signals import account_anonymising, account_removing

        account_removing.connect(
            remove_articles_and_favorites_of_removed_user,
            dispatch_uid="articles.remove_articles_and_favorites_of_removed_user",
        )
        account_anonymising.connect(
            take_back_favorites_of_anonymised_user,
            dispatch_uid="articles.take_back_favorites_of_anonymised_user",
        )
