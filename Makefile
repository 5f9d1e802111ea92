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

.PHONY: help install run serve worker test lint format bench soak migrate seed test-outage

help:
	@echo "make run    - install, migrate, seed demo data if empty, serve on http://$(HOST):$(PORT) with the worker"
	@echo "make test   - install and run the whole test suite"
	@echo "make serve  - production server only (gunicorn on \$$PORT against \$$DATABASE_URL; MIGRATE=1 migrates first)"
	@echo "make migrate - apply the database migrations (make serve refuses to start without them)"
	@echo "make worker - the background event worker only"
	@echo "make bench  - the benchmark suite (see bench/README.md)"
	@echo "make soak   - the mix with the worker for 10 minutes (SOAK_ARGS=\"--duration 60\")"
	@echo "make lint   - ruff, and the import rules between apps and layers (lint-imports)"

# A .venv made earlier by a Python older than 3.12 cannot install the requirements: say how to
# replace it, in one line, instead of pip's errors.
install:
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	  echo "error: $(VENV) was made by $$($(PY) -V 2>&1 || echo 'a Python that no longer runs'); Conduit needs Python 3.12 or newer: rm -rf $(VENV) && make install" >&2; exit 1; \
	fi
	@$(MAKE) -s --no-print-directory $(STAMP)

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
# A port where a server answers already ends it in one line, before anything starts; a server
# that fails to start for any other reason (or loses a race for the port) stops the worker and
# ends it with one line after its own. The URLs are printed once the server answers an HTTP
# request (bash's /dev/tcp, polled).
run: seed
	@if timeout 5 bash -c 'exec 3<>/dev/tcp/$$0/$$1' $(subst 0.0.0.0,127.0.0.1,$(HOST)) $(PORT) 2>/dev/null; then \
	  echo "error: port $(PORT) on $(HOST) is taken (another server runs there); stop it or choose another: make run PORT=$$(( $(PORT) + 1 ))" >&2; exit 1; \
	fi
	@export $(DEV); set -m; \
	  $(PY) manage.py db_worker --queue-name '*' --interval 0.5 & worker=$$!; \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload & server=$$!; \
	  set +m; \
	  trap 'kill -TERM $$server $$worker 2>/dev/null; wait $$server $$worker; exit 130' INT TERM; \
	  answers() { timeout 5 bash -c 'exec 3<>/dev/tcp/$$0/$$1 && printf "HEAD /api/tags HTTP/1.0\r\nHost: $$0\r\n\r\n" >&3 && read -r line <&3 && [[ $$line == HTTP/* ]]' $(subst 0.0.0.0,127.0.0.1,$(HOST)) $(PORT) 2>/dev/null; }; \
	  until answers; do \
	    if ! kill -0 $$server 2>/dev/null; then \
	      kill -TERM $$worker 2>/dev/null; wait $$worker; \
	      echo "error: the server did not start on $(HOST):$(PORT) (its reason is above); the worker is stopped" >&2; exit 1; \
	    fi; \
	    sleep 0.2; \
	  done; \
	  echo "Conduit is up: API http://$(HOST):$(PORT)/api  docs http://$(HOST):$(PORT)/api/docs  admin http://$(HOST):$(PORT)/admin/ (Ctrl-C stops the server and the worker)"; \
	  wait $$server $$worker

# Production: DEBUG off, so a strong SECRET_KEY and an EMAIL_URL must be set (preflight refuses
# in one line otherwise: conduit/deployment.py), JSON logs, gunicorn as
# conduit/gunicorn_config.py sets it (docs/deploy.md). Metrics are gathered across the web's
# workers and the worker in one folder per port (so two instances on one host keep theirs
# apart); nothing empties it, so restarting one process never wipes another's counters.
# The system checks run first: a shared cache (CACHE_URL) that cannot be reached stops the
# start with the reason. (collectstatic runs only the static files' checks, gunicorn none.)
# Migrations not yet applied stop the start in one line (gunicorn would answer 500 on every
# missing table); MIGRATE=1 applies them first. (`migrate --check` exits 1, silently, when
# some are unapplied; any other failure has printed its own line.)
PROMETHEUS_MULTIPROC_DIR ?= $(CURDIR)/.prometheus/$(PORT)
serve: install
	@DEBUG=$${DEBUG:-off} $(PY) manage.py preflight
	DEBUG=$${DEBUG:-off} $(PY) manage.py check
	@if [ "$${MIGRATE:-}" = 1 ]; then \
	  DEBUG=$${DEBUG:-off} $(PY) manage.py migrate --no-input -v 0; \
	else \
	  err=$$(DEBUG=$${DEBUG:-off} $(PY) manage.py migrate --check 2>&1 >/dev/null); status=$$?; \
	  if [ $$status -eq 1 ] && [ -z "$$err" ]; then \
	    echo "error: the database has migrations not yet applied: run make migrate (or start with MIGRATE=1 make serve)" >&2; exit 1; \
	  elif [ $$status -ne 0 ]; then echo "$$err" >&2; exit $$status; fi; \
	fi
	mkdir -p $(PROMETHEUS_MULTIPROC_DIR)
	DEBUG=$${DEBUG:-off} $(PY) manage.py collectstatic --no-input -v 0
	DEBUG=$${DEBUG:-off} PROMETHEUS_MULTIPROC_DIR=$(PROMETHEUS_MULTIPROC_DIR) HOST=$(HOST) PORT=$(PORT) \
	  WEB_CONCURRENCY=$(WORKERS) $(VENV)/bin/gunicorn -c python:conduit.gunicorn_config conduit.wsgi:application

worker: install
	@DEBUG=$${DEBUG:-off} $(PY) manage.py preflight
	mkdir -p $(PROMETHEUS_MULTIPROC_DIR)
	DEBUG=$${DEBUG:-off} PROMETHEUS_MULTIPROC_DIR=$(PROMETHEUS_MULTIPROC_DIR) \
	  $(PY) manage.py db_worker --queue-name '*'

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

# The mix at 80% of the measured capacity with the worker running (bench/soak.py): exits 1
# on a non-2xx, lost writes, a backlog, a slow background effect or memory that keeps growing.
soak: install
	RATE_LIMITS=off $(PY) bench/soak.py $(SOAK_ARGS)

# The worker's database away for minutes (a TCP proxy the test cuts; the suite holds it 8 s):
# PostgreSQL only. `make test-outage OUTAGE=600` for ten minutes.
OUTAGE ?= 180
test-outage: install
	WORKER_OUTAGE_SECONDS=$(OUTAGE) $(DEV) $(PY) -m pytest -n 0 \
	  events/tests/test_worker_faults.py -k unreachable
