"""gunicorn's settings for Conduit's web process (the Procfile, the systemd unit, `make serve`).

Every number here is explained in docs/deploy.md. The environment decides the address and
the number of workers; the rest is the same everywhere.
"""

import os

from prometheus_client import multiprocess

from conduit.logs import logging_config

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Three sync workers served a 2-core machine best (docs/performance.md).
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request still running after this long is killed with its worker (the API's slowest
# answer is a few hundred ms; anything near this is stuck).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, the requests in hand get this long to finish.
graceful_timeout = 25
# Each worker is replaced after about this many requests (jitter, so that they are not all
# replaced at once): it bounds any slow growth of memory.
max_requests = 20000
max_requests_jitter = 2000
# The access line comes from Django (conduit/access.py), with the request id and the route.
accesslog = None
logconfig_dict = logging_config(
    log_format=os.environ.get("LOG_FORMAT", "json"), level=os.environ.get("LOG_LEVEL", "INFO")
) | {
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
    }
}


def child_exit(server, worker) -> None:
    """A worker that exits leaves its counters (they stay in the totals) but not its gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
