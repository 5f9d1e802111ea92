"""The benchmark suite (bench/README.md): its scripts (run.sh, loadtest.py, scale.py, ...) and
the Django app they need in the server under test, the floor page (floor.py, routed only when
BENCH_FLOOR_ENABLED) and `manage.py seed_bench`.

The app is installed only where benchmarks run or are developed (conduit/settings.py,
BENCH_ENABLED); no production module imports it (pyproject.toml's import contracts).
"""
