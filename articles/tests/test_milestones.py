"""Milestone notices: the article that brings the site's count to a multiple of
ARTICLES_MILESTONE_EVERY has the worker email the staff (ADMINS) and record it, once per
milestone, even when articles are created at the same moment."""

import threading

import pytest
from django.core import mail
from django.db import connection

from articles.models import ArticleMilestone
from articles.services import article_create, article_delete
from articles.tests.factories import ArticleFactory
from users.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _milestones(settings):
    settings.ARTICLES_MILESTONE_EVERY = 3
    settings.ADMINS = ["staff@example.com", "editor@example.com"]
    # Prolific test authors are not spammers (moderation would hide their articles).
    settings.MODERATION_SPAM_REPEAT_POINTS = 0


def write(author, title):
    return article_create(author=author, title=title, description="d", body="b")


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """`publish(alice, "Title")`: the article is written and committed, and the worker's
    handlers run, before the next one is written."""

    def create(author, title):
        with django_capture_on_commit_callbacks(execute=True):
            return write(author, title)

    return create


def notices() -> list[tuple[str, list[str]]]:
    return [(message.subject, message.to) for message in mail.outbox]


@pytest.mark.django_db
def test_the_article_that_reaches_a_milestone_has_staff_told_once(alice, publish):
    publish(alice, "One")
    publish(alice, "Two")
    assert notices() == []

    third = publish(alice, "Three")

    assert notices() == [("[Conduit] 3 articles", ["staff@example.com", "editor@example.com"])]
    assert mail.outbox[0].body == (
        f'Conduit reached 3 articles with "Three" by alice (/api/articles/{third.slug}).\n'
        "The site counts 3 articles now.\n"
    )
    assert list(ArticleMilestone.objects.values_list("articles_count", "article_id")) == [
        (3, third.pk)
    ]


@pytest.mark.django_db
def test_a_milestone_reached_again_after_deletes_is_not_announced_again(
    alice, publish, django_capture_on_commit_callbacks
):
    articles = [publish(alice, title) for title in ("One", "Two", "Three")]
    with django_capture_on_commit_callbacks(execute=True):
        article_delete(article=articles[0], user=alice)
    for title in ("Three again", "Four", "Five", "Six"):
        publish(alice, title)

    assert notices() == [
        ("[Conduit] 3 articles", ["staff@example.com", "editor@example.com"]),
        ("[Conduit] 6 articles", ["staff@example.com", "editor@example.com"]),
    ]
    assert list(ArticleMilestone.objects.values_list("articles_count", flat=True)) == [6, 3]


@pytest.mark.django_db
def test_no_notice_when_turned_off_and_a_record_without_email_when_there_are_no_admins(
    alice, publish, settings
):
    settings.ARTICLES_MILESTONE_EVERY = 0
    for title in ("One", "Two", "Three"):
        publish(alice, title)
    assert (notices(), ArticleMilestone.objects.count()) == ([], 0)

    settings.ARTICLES_MILESTONE_EVERY = 2
    settings.ADMINS = []
    publish(alice, "Four")
    assert notices() == []
    assert list(ArticleMilestone.objects.values_list("articles_count", flat=True)) == [4]


@pytest.mark.django_db(transaction=True)
def test_articles_created_at_the_same_moment_announce_their_milestone_once(settings):
    """Real threads, each creating an article and running the worker's handlers after its
    commit: they all see the count at 3 or past it, and the milestone's primary key lets one
    of them send."""
    authors = [UserFactory() for _ in range(3)]
    ArticleFactory(author=authors[0])
    ArticleFactory(author=authors[1])  # two articles: the next one is the third
    barrier = threading.Barrier(len(authors))
    errors: list[Exception] = []

    def create(author) -> None:
        try:
            barrier.wait()
            write(author, f"Article by {author.username}")
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(author,)) for author in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert notices() == [("[Conduit] 3 articles", ["staff@example.com", "editor@example.com"])]
    assert list(ArticleMilestone.objects.values_list("articles_count", flat=True)) == [3]
