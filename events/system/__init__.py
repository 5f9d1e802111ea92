"""The system's concerns, one sub-app each: security/, moderation/, analytics/, maintenance/.

Each reacts to the domain and tells facts about the system itself rather than about the
domain (failed logins, flags, page views, an account's removal). Each keeps its own event
classes in its `events.py` (frozen, slotted, keyword-only dataclasses extending
events.core.event.Event, with the concern as their `category`), listed in the event catalog
like every app's, and its handlers in its `receivers.py` (`EVENT_HANDLERS`). The event
system's own facts (bulk operations, redaction, orphans, constraint violations) are in
events/ops/events.py, beside what publishes them.

Domain apps never import this package (pyproject.toml's import contracts): the system reacts
to the domain, never the other way round.
"""
