"""What tags remembers of its reads (conduit.readcache): the tags in use (`GET /api/tags`),
under TAGS_IN_USE. They change with the articles that carry them, so articles/reads.py renews
it (a new, edited, deleted, hidden or shown article); tags' own events renew nothing, each
being published with the article event that does."""

TAGS_IN_USE = "tags"
