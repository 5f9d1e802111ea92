from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from articles.models import Article, ArticleTag, Favorite
from articles.services import article_delete


class ArticleTagInline(admin.TabularInline):
    model = ArticleTag
    extra = 0
    fields = ["position", "tag"]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArticleTag]:
        return super().get_queryset(request).select_related("tag")

    def has_add_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "author", "favorites_count", "tags_count", "created_at"]
    list_select_related = ["author"]
    search_fields = ["title", "slug", "author__username"]
    date_hierarchy = "created_at"
    readonly_fields = ["slug", "author", "favorites_count", "created_at", "updated_at"]
    inlines = [ArticleTagInline]
    actions = ["delete_articles"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return super().get_queryset(request).annotate(tags_count=Count("article_tags"))

    @admin.display(ordering="tags_count", description="tags")
    def tags_count(self, article: Article) -> int:
        return article.tags_count

    def get_actions(self, request: HttpRequest) -> dict:
        # Django's bulk delete would skip article_delete and its events.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        # The admin acts on the author's behalf; Django's delete permission guards the admin.
        article_delete(article=obj, user=obj.author)

    @admin.action(description="Delete selected articles (with their comments and favorites)")
    def delete_articles(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.select_related("author"):
            article_delete(article=article, user=article.author)
            count += 1
        self.message_user(request, f"Deleted {count} articles.", messages.SUCCESS)


@admin.register(Favorite)
class FavoriteAdmin(admin.ModelAdmin):
    list_display = ["user", "article", "created_at"]
    list_select_related = ["user", "article"]
    search_fields = ["user__username", "article__slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Favorite | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Favorite | None = None) -> bool:
        # Removing a row here would leave favorites_count wrong and publish nothing.
        return False
