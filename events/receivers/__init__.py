"""The event system's own receivers, and its wiring table.

Handlers of system events (events/system/) and the system's reactions to domain events live
in modules of this package, one function per (event, concern); `EVENT_HANDLERS` below wires
them, read once at start-up like every app's table (events/core/wiring.py). Domain apps never
import this package (pyproject.toml's import contracts).
"""

from events.core.wiring import HandlerTable

EVENT_HANDLERS: HandlerTable = {}
