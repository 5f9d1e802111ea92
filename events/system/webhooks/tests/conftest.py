import pytest

from events.system.webhooks.tests.support import start_receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
def private_allowed(settings):
    """The receiver is on a loopback port: allowed only with WEBHOOKS_ALLOW_PRIVATE."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    return settings
