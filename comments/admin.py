from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from comments.models import Comment
from comments.services import comment_delete


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "article", "author", "short_body", "created_at"]
    list_select_related = ["article", "author"]
    search_fields = ["body", "author__username", "article__slug"]
    readonly_fields = ["article", "author", "created_at", "updated_at"]
    actions = ["delete_comments"]

    @admin.display(description="body")
    def short_body(self, comment: Comment) -> str:
        return comment.body[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        # Django's bulk delete would skip comment_delete and its events.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        # The admin acts on the author's behalf; Django's delete permission guards the admin.
        comment_delete(comment=obj, user=obj.author)

    @admin.action(description="Delete selected comments")
    def delete_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        count = 0
        for comment in queryset.select_related("author"):
            comment_delete(comment=comment, user=comment.author)
            count += 1
        self.message_user(request, f"Deleted {count} comments.", messages.SUCCESS)
