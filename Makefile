# Conduit: `make run` serves the API with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
# DEBUG is off unless set (conduit/settings.py): the development targets turn it on, for
# themselves and what they start; `make serve` and `make worker` leave it off.
DEV := DEBUG=$${DEBUG:-on}
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
PORT    ?= 8000
HOST    ?= 127.0.0.1
STAMP   := $(VENV)/.installed
# Three sync workers served this 2-core machine best (bench/README.md, "Choosing gunicorn's
# worker class and count").
WORKERS ?= 3

# The first Python >= 3.12 that actually runs (pyenv shims can exist and still refuse).
define find_python
for candidate in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
  if command -v "$$candidate" >/dev/null 2>&1 && "$$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then \
    command -v "$$candidate"; exit 0; \
  fi; \
done; exit 1
endef

.PHONY: help install run serve worker test lint format bench migrate seed test-outage

help:
	@echo "make run    - install, migrate, seed demo data if empty, serve on http://$(HOST):$(PORT) with the worker"
	@echo "make test   - install and run the whole test suite"
	@echo "make serve  - production server only (gunicorn on \$$PORT against \$$DATABASE_URL)"
	@echo "make worker - the background event worker only"
	@echo "make bench  - the benchmark suite (see bench/README.md)"
	@echo "make lint   - ruff, and the import rules between apps and layers (lint-imports)"

install: $(STAMP)

$(STAMP): requirements.txt
	@if [ ! -x $(PY) ]; then \
	  python=$$($(find_python)) || { echo "error: Conduit needs Python 3.12 or newer (python3.13 or python3.12 on PATH); none was found." >&2; exit 1; }; \
	  echo "Creating $(VENV) with $$python"; \
	  "$$python" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

migrate: install
	$(DEV) $(PY) manage.py migrate --no-input -v 0

# A database from before the search index gets one (the worker keeps it from then on).
seed: migrate
	$(DEV) $(PY) manage.py seed_demo --if-empty
	$(DEV) $(PY) manage.py search_reindex --if-empty

# Ctrl-C reaches make and this shell only: the worker and the server run in process groups of
# their own (set -m), and the trap sends each one SIGTERM, once, then waits for them. So the
# worker finishes the delivery in hand (at most EVENTS_SHUTDOWN_GRACE_SECONDS) and leaves none
# RUNNING; a second Ctrl-C interrupts it (the delivery goes back to the queue).
run: seed
	@echo "Conduit API on http://$(HOST):$(PORT)/api (Ctrl-C stops the server and the worker)"
	@export $(DEV); set -m; \
	  $(PY) manage.py db_worker --queue-name '*' --interval 0.5 & worker=$$!; \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload & server=$$!; \
	  set +m; \
	  trap 'kill -TERM $$server $$worker 2>/dev/null; wait $$server $$worker' INT TERM; \
	  wait $$server $$worker

# Production: DEBUG off, so a strong SECRET_KEY and an EMAIL_URL must be set (preflight refuses
# in one line otherwise: conduit/deployment.py), metrics gathered across the workers (one
# folder per port, so two instances on one host keep theirs apart). The system checks run
# first: a shared cache (CACHE_URL) that cannot be reached stops the start with the reason.
# (collectstatic runs only the static files' checks, gunicorn none.)
# gunicorn's limits: a path up to 8190 bytes and a header up to 16 KiB reach Django (a JSON 404,
# a 401); beyond them gunicorn answers 414 / 431, in JSON too (conduit/gunicorn_config.py).
serve: install
	@DEBUG=$${DEBUG:-off} $(PY) manage.py preflight
	DEBUG=$${DEBUG:-off} $(PY) manage.py check
	rm -rf .prometheus/$(PORT) && mkdir -p .prometheus/$(PORT)
	DEBUG=$${DEBUG:-off} $(PY) manage.py collectstatic --no-input -v 0
	DEBUG=$${DEBUG:-off} PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/.prometheus/$(PORT) \
	  $(VENV)/bin/gunicorn conduit.wsgi:application -c python:conduit.gunicorn_config \
	  --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile - \
	  --limit-request-line 8190 --limit-request-field_size 16384 --limit-request-fields 100

worker: install
	@DEBUG=$${DEBUG:-off} $(PY) manage.py preflight
	DEBUG=$${DEBUG:-off} $(PY) manage.py db_worker --queue-name '*'

test: install
	@[ -x /usr/bin/chromium ] || echo "note: Chromium is not installed at /usr/bin/chromium, so the browser tests are skipped (apt-get install -y chromium runs them; .ci/run installs it)."
	$(DEV) $(PY) -m pytest

# ruff, then the architecture rules of pyproject.toml (import-linter's contracts).
lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports --no-logo
	$(DEV) $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: install
	$(DEV) bash bench/run.sh

# The worker's database away for minutes (a TCP proxy the test cuts; the suite holds it 8 s):
# PostgreSQL only. `make test-outage OUTAGE=600` for ten minutes.
OUTAGE ?= 180
test-outage: install
	WORKER_OUTAGE_SECONDS=$(OUTAGE) $(DEV) $(PY) -m pytest -n 0 \
	  events/tests/test_worker_faults.py -k unreachable
