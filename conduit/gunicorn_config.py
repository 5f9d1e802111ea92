"""`make serve`'s gunicorn configuration (`-c python:conduit.gunicorn_config`): its own error
answers (a request it refuses before Django sees it) in the RealWorld JSON shape instead of
an HTML page (conduit/edge.py). The request limits themselves are on the Makefile's command
line. Loaded by the gunicorn master, before the workers fork."""

from gunicorn import util

from conduit.edge import write_json_error

# Every worker class answers its errors through gunicorn.util.write_error (Worker.handle_error).
util.write_error = write_json_error
