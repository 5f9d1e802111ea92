from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tags.models import Tag
from tags.services import tags_delete_unused


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "articles_count", "created_at"]
    search_fields = ["name"]
    # A tag's name is copied onto every article that carries it (tagList) and is what the
    # tag filter matches: a rename here would split the two. Tags come and go with the
    # articles that use them, so the admin only reads them.
    readonly_fields = ["name", "created_at", "articles_count"]
    actions = ["delete_unused_tags"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Deleting a tag in use would silently change articles' tagList (and publish nothing):
    # no delete button, no "delete selected"; unused tags go through tags_delete_unused.
    def has_delete_permission(self, request: HttpRequest, obj: Tag | None = None) -> bool:
        return False

    @admin.action(description="Delete every unused tag (ignores the selection)")
    def delete_unused_tags(self, request: HttpRequest, queryset: QuerySet[Tag]) -> None:
        names = tags_delete_unused()
        self.message_user(request, f"Deleted {len(names)} unused tags.", messages.SUCCESS)
