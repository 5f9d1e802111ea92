"""Wiring: the outbox records webhook deliveries with the events (services.record_deliveries),
and each worker process runs a sender beside its handlers (sender.py)."""

from typing import Any

from events import outbox, worker
from events.system.webhooks.sender import Sender
from events.system.webhooks.services import record_deliveries

_running: list[Sender] = []


def start_sender(*, batch: bool = False, **kwargs: Any) -> None:
    if batch:
        return
    sender = Sender()
    sender.start()
    _running.append(sender)


def stop_sender(*, batch: bool = False, **kwargs: Any) -> None:
    """A --batch run sends what is due before it exits; a stopping worker lets the requests
    in flight end and records them."""
    if batch:
        sender = Sender()
        sender.drain(timeout=600)
        sender.pool.shutdown(wait=True)
        return
    while _running:
        _running.pop().stop()


def connect() -> None:
    outbox.add_recorder(record_deliveries)
    worker.worker_started.connect(start_sender, dispatch_uid="webhooks.start_sender")
    worker.worker_stopped.connect(stop_sender, dispatch_uid="webhooks.stop_sender")
