"""gunicorn's settings for Conduit's web process, the same everywhere: the Procfile, the
systemd unit and `make serve` load them with `-c python:conduit.gunicorn_config`. Each number
is explained in docs/deploy.md; the environment decides the address and the worker count.

gunicorn's own error answers (a request it refuses before Django sees it) take the RealWorld
JSON shape instead of an HTML page (conduit/edge.py). Loaded by the master, before the workers
fork."""

import os

from gunicorn import util
from prometheus_client import multiprocess

from conduit.edge import write_json_error
from conduit.logs import logging_config

# Every worker class answers its errors through gunicorn.util.write_error (Worker.handle_error).
util.write_error = write_json_error

# A path up to 8190 bytes and a header up to 16 KiB reach Django (a JSON 404, a 401); beyond
# them gunicorn answers 414 / 431, in JSON too.
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 100


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
# gunicorn's control socket sits at one path per user (~/.gunicorn/gunicorn.ctl), which two
# instances on one host would fight over; nothing of Conduit's uses it.
control_socket_disable = True
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
