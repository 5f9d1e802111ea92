from django.apps import AppConfig
from django.db.models.signals import pre_delete


class CommentsConfig(AppConfig):
    name = "comments"

    def ready(self) -> None:
        from articles.models import Article
        from comments.cascades import (
            delete_comments_of_deleted_article,
            delete_comments_of_removed_user,
        )
        from users.signals import account_removing

        # See comments/cascades.py for why these are synchronous hooks.
        pre_delete.connect(
            delete_comments_of_deleted_article,
            sender=Article,
            dispatch_uid="comments.delete_comments_of_deleted_article",
        )
        account_removing.connect(
            delete_comments_of_removed_user,
            dispatch_uid="comments.delete_comments_of_removed_user",
        )
