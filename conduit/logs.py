"""Log lines that say which request they belong to, as text or as one JSON object a line.

`LOG_FORMAT=json` (the default under `make serve` and in the Procfile) formats every line with
python-json-logger; `text` (the default, `make run`) keeps them readable. Either way the
`RequestIdFilter` stamps each record with the request id of the event context it was
logged in: the request's own under the web, and the publishing request's under the worker
(which runs a delivery in its event's context), so one `grep` of a request id finds the
request and every background effect it caused.
"""

import logging
from typing import Any

from events.core.context import current_context

# The fields of a JSON line besides the record's `extra`: time, level, logger, message.
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (empty outside a request or a delivery) unless the caller set it.
    A record that carries its request (django.request's) takes that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # django.request logs after the request's context ended, with the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", "") or current_context().request_id
        return True


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING setting: one console handler, formatted as `log_format` says."""
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be 'json' or 'text', not {log_format!r}")
    formatters = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "text": {"format": TEXT_FORMAT},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "conduit.logs.RequestIdFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # The access line (conduit/access.py) replaces django.server's and gunicorn's.
            "django.server": {"level": "WARNING"},
            # Python's warnings, as lines of the same format (Django routes them here).
            "py.warnings": {"handlers": ["console"], "propagate": False},
        },
    }
