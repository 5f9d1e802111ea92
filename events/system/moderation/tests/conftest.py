"""Moderation's fixtures: a moderator (staff, in the Moderators group of the data migration),
and the moderation events the real bus recorded, rebuilt from the audit trail."""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from events.core.event import event_types
from events.models import EventRecord
from events.outbox import event_from_record
from users.tests.factories import UserFactory

MIGRATION = import_module("events.system.moderation.migrations.0002_moderators_group")


def moderators_group() -> Group:
    """The group as the data migration makes it (again, idempotently: a transactional test
    elsewhere may have flushed it)."""
    MIGRATION.create_moderators(apps, None)
    return Group.objects.get(name=MIGRATION.GROUP)


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mo", email="mo@example.com", is_staff=True)
    user.groups.add(moderators_group())
    return user


def recorded(*categories: str) -> list:
    """The recorded events of these categories, oldest first, rebuilt as events."""
    names = [name for name, cls in event_types().items() if cls.category in categories]
    records = EventRecord.objects.filter(type__in=names).order_by("occurred_at")
    return [event_from_record(record) for record in records]
