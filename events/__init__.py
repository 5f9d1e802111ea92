"""The event system (docs/architecture.md). Apps publish through `from events import bus`:

    bus.publish(ArticleCreated(...))

Layers, each importing only those below it (pyproject.toml's import contracts):
ops -> worker -> outbox -> core; bootstrap.py assembles them at start-up; system/ and
receivers/ hold the system's own events and their handlers.
"""

from events.core import bus

__all__ = ["bus"]
