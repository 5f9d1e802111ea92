"""Which reads moderation's decisions renew (conduit.readcache). Moderation remembers no read
of its own; what it hides and shows changes what articles and comments show, so it renews
them through their reads.py: an article's everywhere it shows, a comment's on its article's
page. A flag or a spam score alone changes nothing anyone reads."""

from articles.reads import article_changed
from comments.reads import comments_changed
from conduit.readcache import RenewalTable
from events.system.moderation.events import ContentApproved, ContentHidden, ContentRemoved


def visibility_changed(event: ContentHidden | ContentApproved | ContentRemoved) -> tuple[str, ...]:
    if event.content_type == "article":
        return article_changed(event.article_id)
    return comments_changed(event.article_id)


RENEWED_BY: RenewalTable = {
    ContentHidden: visibility_changed,
    ContentApproved: visibility_changed,
    ContentRemoved: visibility_changed,
}
