import pytest

from events.models import EventRecord


@pytest.mark.django_db
def test_audit_trail_starts_empty():
    assert EventRecord.objects.count() == 0
