from django.urls import path

from articles.api import views
from conduit.api import by_method

urlpatterns = [
    path(
        "articles",
        by_method(GET=views.ArticleListApi, POST=views.ArticleCreateApi),
        name="article-list",
    ),
    # Before <slug>: "feed" is never a slug (articles.services.RESERVED_SLUGS).
    path("articles/feed", views.ArticleFeedApi.as_view(), name="article-feed"),
    path(
        "articles/<str:slug>",
        by_method(
            GET=views.ArticleDetailApi, PUT=views.ArticleUpdateApi, DELETE=views.ArticleDeleteApi
        ),
        name="article-detail",
    ),
    path(
        "articles/<str:slug>/favorite",
        by_method(POST=views.ArticleFavoriteApi, DELETE=views.ArticleUnfavoriteApi),
        name="article-favorite",
    ),
]
