from django.apps import AppConfig
from django.db.models.signals import pre_delete


class CommentsConfig(AppConfig):
    name = "comments"

    def ready(self) -> None:
        from articles.models import Article
        from comments.cascades import delete_comments_of_deleted_article

        # See comments/cascades.py for why this is a model signal.
        pre_delete.connect(
            delete_comments_of_deleted_article,
            sender=Article,
            dispatch_uid="comments.delete_comments_of_deleted_article",
        )
