"""analytics' wiring. Views and searches are tallied inline, in the process that served them
(a deque append; the flusher writes them). Milestones and popular tags are checked in the
worker after the change that may have crossed one: the count is read when the handler runs,
and a unique constraint makes each announced once (analytics/services.py). The checks that
follow every article take their events in batches (events.core.wiring.handles_batches): the
counts and the last milestones of a whole batch in two queries, and the service called only
for a count that crossed one."""

from collections.abc import Sequence

from articles.events import ArticleCreated, ArticleFavorited
from articles.selectors import article_author_id, articles_written_counts, favorites_received_count
from comments.events import ArticleCommentAdded
from comments.selectors import comments_written_count
from events.core.context import handling
from events.core.wiring import HandlerTable, background, handles_batches
from events.system.analytics import services, tally
from events.system.analytics.events import ArticleViewIncremented, SearchPerformed
from events.system.analytics.selectors import milestones_announced, popular_tags_announced
from tags.events import TagUsed
from tags.selectors import tag_articles_counts
from users.events import UserFollowed
from users.selectors import followers_count


def count_article_view(event: ArticleViewIncremented) -> None:
    """One more view of the article, written with the next flush."""
    tally.view_seen(event.article_id)


def count_search(event: SearchPerformed) -> None:
    """One more search of (day, kind, value), written with the next flush."""
    day = event.occurred_at.date()
    tally.search_seen(tally.SearchSample(day, event.kind, event.value, event.results))


@handles_batches
def check_articles_written(events: Sequence[ArticleCreated]) -> None:
    """Their authors may have reached an articles-written milestone (each author's last
    event of the batch is the one that crossed it)."""
    latest = {event.author_id: event for event in events}
    counts = articles_written_counts(user_ids=latest)
    announced = milestones_announced(kind="articles_written", user_ids=latest)
    for user_id, event in latest.items():
        if services.milestones_crossed(counts[user_id], above=announced[user_id]):
            with handling(event.event_id):
                services.milestone_check(
                    user_id=user_id, kind="articles_written", count=counts[user_id]
                )


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


@handles_batches
def check_popular_tag(events: Sequence[TagUsed]) -> None:
    """Their tags may be on 10, 100, 1000... articles now (each tag's last event of the
    batch is the one that crossed it)."""
    latest = {event.name: event for event in events}
    counts = tag_articles_counts(names=latest)
    announced = popular_tags_announced(names=latest)
    for name, event in latest.items():
        if services.milestones_crossed(counts[name], above=announced[name], lowest=10):
            with handling(event.event_id):
                services.popular_tag_check(name=name, articles_count=counts[name])


EVENT_HANDLERS: HandlerTable = {
    ArticleViewIncremented: [count_article_view],
    SearchPerformed: [count_search],
    ArticleCreated: [background(check_articles_written)],
    ArticleFavorited: [background(check_favorites_received)],
    UserFollowed: [background(check_followers)],
    ArticleCommentAdded: [background(check_comments_written)],
    TagUsed: [background(check_popular_tag)],
}
