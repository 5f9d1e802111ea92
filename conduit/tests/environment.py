"""A pytest plugin that pyproject.toml loads first (`-p conduit.tests.environment`): the suite
runs with DEBUG on unless the environment says otherwise, as `make test` does, so that
`.venv/bin/python -m pytest` needs nothing set. It must act before pytest-django reads the
settings, which is before any conftest.py is imported."""

import os

os.environ.setdefault("DEBUG", "on")
