"""System events: facts about the system itself rather than about the domain.

Security (failed logins, lockouts), analytics, moderation and maintenance events go here, one
module per concern (`events/system/security.py`, ...), as frozen, slotted, keyword-only
dataclasses extending events.core.event.Event with `category = "system"`. They are listed in
the event catalog like every app's events. Their handlers live in events/receivers/.

Domain apps never import this package (pyproject.toml's import contracts): the system reacts
to the domain, never the other way round.
"""
