from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"

    def ready(self) -> None:
        from articles.cascades import remove_articles_and_favorites_of_removed_user
        from users.signals import account_removing

        account_removing.connect(
            remove_articles_and_favorites_of_removed_user,
            dispatch_uid="articles.remove_articles_and_favorites_of_removed_user",
        )
