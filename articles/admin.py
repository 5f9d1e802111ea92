from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from articles.models import Article, ArticleMilestone, ArticleTag, Favorite
from articles.services import article_delete, articles_delete
from conduit.admin import DeletesThroughServiceMixin


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
class ArticleAdmin(DeletesThroughServiceMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "slug",
        "author",
        "favorites_count",
        "tags_count",
        "hidden",
        "created_at",
    ]
    list_select_related = ["author"]
    # Hidden by moderation: decided in the review queue (events.system.moderation.admin),
    # shown here.
    list_filter = ["hidden"]
    search_fields = ["title", "slug", "author__username"]
    date_hierarchy = "created_at"
    # Moderation reads and deletes; writing is the author's, through the API and the
    # services (an admin edit would change no slug, publish no event, refresh no cache).
    readonly_fields = [
        "title",
        "slug",
        "description",
        "body",
        "author",
        "favorites_count",
        "tag_list",
        "hidden",
        "created_at",
        "updated_at",
    ]
    inlines = [ArticleTagInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return super().get_queryset(request).annotate(tags_count=Count("article_tags"))

    @admin.display(ordering="tags_count", description="tags")
    def tags_count(self, article: Article) -> int:
        return article.tags_count

    # The admin acts on the author's behalf; Django's delete permission guards the admin.
    # Both the delete button and the "delete selected" action go through article_delete,
    # so the events fire (a bulk queryset.delete() would skip them).
    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        article_delete(article=obj, user=obj.author)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        articles_delete(articles=queryset.select_related("author").order_by("pk"))


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


@admin.register(ArticleMilestone)
class ArticleMilestoneAdmin(admin.ModelAdmin):
    """The article counts staff were told the site reached (articles/milestones.py), written
    by the worker's handler, never by hand."""

    list_display = ["articles_count", "article_id", "reached_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ArticleMilestone | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ArticleMilestone | None = None
    ) -> bool:
        return False
