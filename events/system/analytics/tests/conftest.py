import pytest

from events.system.analytics import flush


@pytest.fixture(autouse=True)
def analytics_from_scratch(settings):
    """Each test counts from zero: nothing tallied by earlier tests, and the metrics counted
    from now on; views, searches and traffic counted, slow queries only where a test asks."""
    settings.ANALYTICS_ENABLED = True
    settings.ANALYTICS_SLOW_QUERY_MS = 0
    settings.ANALYTICS_HIGH_TRAFFIC_PER_MINUTE = 0
    flush.reset()
    yield
    flush.reset()
