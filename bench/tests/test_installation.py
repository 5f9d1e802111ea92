"""The bench app is installed where benchmarks run or are developed, and nowhere else."""

import os
import subprocess
import sys

from django.conf import settings


def installed_apps(**environment: str) -> subprocess.CompletedProcess:
    script = "import django; django.setup(); from django.conf import settings as s; "
    script += "print('bench' in s.INSTALLED_APPS)"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BENCH_", "DEBUG", "SECRET_KEY"))
    }
    env |= {"DJANGO_SETTINGS_MODULE": "conduit.settings", **environment}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_production_server_has_no_bench_app():
    assert installed_apps(DEBUG="off", SECRET_KEY="k").stdout == "False\n"


def test_development_and_benchmark_servers_have_it():
    assert installed_apps(DEBUG="on").stdout == "True\n"  # development: DEBUG is off unless set
    assert installed_apps(DEBUG="off", SECRET_KEY="k", BENCH_FLOOR_ENABLED="on").stdout == "True\n"


def test_the_floor_without_the_app_is_refused_at_start():
    refused = installed_apps(BENCH_FLOOR_ENABLED="on", BENCH_ENABLED="off")

    assert refused.returncode == 1
    assert "BENCH_FLOOR_ENABLED needs the bench app" in refused.stderr
