"""The event core: what an event is, who caused it, and the bus that carries it.

Every app may import it (`from events import bus`, `events.core.event.Event`); it imports no
model and no other part of `events`. What a publish writes to the database (the outbox) is
plugged into the bus at start-up by events/bootstrap.py.
"""
