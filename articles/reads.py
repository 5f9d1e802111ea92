"""What articles remembers of its reads (conduit.readcache), and which events renew it.

- ROWS: what any article shows in any list (title, description, tags, favorites count):
  every list of articles (pages, searches, feeds) depends on it;
- LISTS: which articles the lists hold, but for the lists of one tag: `tag_scope(name)`.
  A new article renews LISTS and its tags' scopes, so the other tags' pages stay; an edit,
  a delete, a favorite or a hide renews ROWS, since it can show in any list;
- `article_scope(id)`: one article, and its comments (comments/reads.py);
- `feed_scope(id)`: a reader's feed, renewed when they follow or unfollow and when an author
  they follow writes;
- the reader's marks (what they favorited, whom they follow) are under users' viewer_scope.

It also renews what other apps remember of articles: the tags in use (tags/reads.py). An app
above whose events change what an article shows (moderation) renews `article_changed(id)`.
The search index changes in the worker, after the article's event: articles/search.py
renews LISTS itself once an entry is written.
"""

import zlib

from articles.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleFavorited,
    ArticleUnfavorited,
    ArticleUpdated,
)
from conduit.readcache import RenewalTable, scope_of
from tags.reads import TAGS_IN_USE
from users.events import UserFollowed, UserUnfollowed
from users.reads import viewer_scope
from users.selectors import follower_ids

ROWS = "rows"
LISTS = "lists"


def article_scope(article_id: int) -> str:
    return scope_of("article", article_id)


def tag_scope(name: str) -> str:
    return scope_of("tag", zlib.crc32(name.encode()))


def feed_scope(user_id: int) -> str:
    return scope_of("feed", user_id)


def article_changed(article_id: int) -> tuple[str, ...]:
    """An article shows differently (edited, deleted, hidden, shown again): in any list, on
    its own page, in the tags in use."""
    return (ROWS, TAGS_IN_USE, article_scope(article_id))


def new_article(event: ArticleCreated) -> tuple[str, ...]:
    """The lists, its tags' lists, the tags in use and its author's followers' feeds (who
    follows the author is itself remembered): every other reader's feed stays remembered."""
    followers = follower_ids(user_id=event.author_id)
    return (
        LISTS,
        TAGS_IN_USE,
        *map(tag_scope, event.tag_names),
        *{feed_scope(follower) for follower in followers},
    )


def changed_article(event: ArticleUpdated | ArticleDeleted) -> tuple[str, ...]:
    return article_changed(event.article_id)


def favorite(event: ArticleFavorited | ArticleUnfavorited) -> tuple[str, ...]:
    """The count in any list and on the page, and the reader's marks."""
    return (ROWS, article_scope(event.article_id), viewer_scope(event.user_id))


def follow(event: UserFollowed | UserUnfollowed) -> tuple[str, ...]:
    """The follower's feed (their marks and the followed's followers: users/reads.py)."""
    return (feed_scope(event.follower_id),)


RENEWED_BY: RenewalTable = {
    ArticleCreated: new_article,
    ArticleUpdated: changed_article,
    ArticleDeleted: changed_article,
    ArticleFavorited: favorite,
    ArticleUnfavorited: favorite,
    UserFollowed: follow,
    UserUnfollowed: follow,
}
