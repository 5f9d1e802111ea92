"""analytics' wiring. Views and searches are tallied inline, in the process that served them
(a deque append; the flusher writes them). Milestones and popular tags are checked in the
worker after the change that may have crossed one: the count is read when the handler runs,
and a unique constraint makes each announced once (analytics/services.py)."""

from articles.events import ArticleCreated, ArticleFavorited
from articles.selectors import article_author_id, articles_written_count, favorites_received_count
from comments.events import ArticleCommentAdded
from comments.selectors import comments_written_count
from events.core.wiring import HandlerTable, background
from events.system.analytics import services, tally
from events.system.analytics.events import ArticleViewIncremented, SearchPerformed
from tags.events import TagUsed
from tags.selectors import tag_articles_count
from users.events import UserFollowed
from users.selectors import followers_count


def count_article_view(event: ArticleViewIncremented) -> None:
    """One more view of the article, written with the next flush."""
    tally.view_seen(event.article_id)


def count_search(event: SearchPerformed) -> None:
    """One more search of (day, kind, value), written with the next flush."""
    day = event.occurred_at.date()
    tally.search_seen(tally.SearchSample(day, event.kind, event.value, event.results))


def check_articles_written(event: ArticleCreated) -> None:
    """The author may have reached an articles-written milestone."""
    count = articles_written_count(user_id=event.author_id)
    services.milestone_check(user_id=event.author_id, kind="articles_written", count=count)


def check_favorites_received(event: ArticleFavorited) -> None:
    """The article's author may have reached a favorites-received milestone."""
    author_id = article_author_id(article_id=event.article_id)
    if author_id is not None:  # deleted since
        count = favorites_received_count(user_id=author_id)
        services.milestone_check(user_id=author_id, kind="favorites_received", count=count)


def check_followers(event: UserFollowed) -> None:
    """The followed user may have reached a followers milestone."""
    count = followers_count(user_id=event.followed_id)
    services.milestone_check(user_id=event.followed_id, kind="followers", count=count)


def check_comments_written(event: ArticleCommentAdded) -> None:
    """The commenter may have reached a comments-written milestone."""
    count = comments_written_count(user_id=event.author_id)
    services.milestone_check(user_id=event.author_id, kind="comments_written", count=count)


def check_popular_tag(event: TagUsed) -> None:
    """The tag may be on 10, 100, 1000... articles now."""
    count = tag_articles_count(name=event.name)
    services.popular_tag_check(name=event.name, articles_count=count)


EVENT_HANDLERS: HandlerTable = {
    ArticleViewIncremented: [count_article_view],
    SearchPerformed: [count_search],
    ArticleCreated: [background(check_articles_written)],
    ArticleFavorited: [background(check_favorites_received)],
    UserFollowed: [background(check_followers)],
    ArticleCommentAdded: [background(check_comments_written)],
    TagUsed: [background(check_popular_tag)],
}
