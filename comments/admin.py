from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from comments.models import Comment
from comments.services import comment_delete, comments_delete


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "article", "author", "short_body", "hidden", "created_at"]
    list_select_related = ["article", "author"]
    # Hidden by moderation: decided in the review queue (events.system.moderation.admin),
    # shown here.
    list_filter = ["hidden"]
    search_fields = ["body", "author__username", "article__slug"]
    # Moderation reads and deletes; the body is the author's (an edit here would publish
    # nothing and refresh no cache).
    readonly_fields = ["article", "author", "body", "hidden", "created_at", "updated_at"]

    @admin.display(description="body")
    def short_body(self, comment: Comment) -> str:
        return comment.body[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # The admin acts on the author's behalf; Django's delete permission guards the admin.
    # Both the delete button and the "delete selected" action go through comment_delete,
    # so the events fire (a bulk queryset.delete() would skip them).
    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        comment_delete(comment=obj, user=obj.author)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        comments_delete(comments=queryset.select_related("author").order_by("pk"))
