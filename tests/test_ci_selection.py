""".ci/run's Redis pass selects the shared-cache tests by marker (conftest.py): every path
fragment must still name test files, or a rename would drop them from that pass silently."""

from pathlib import Path

from django.conf import settings

from conftest import SHARED_CACHE_TESTS

BASE_DIR = Path(settings.BASE_DIR)


def test_every_shared_cache_fragment_names_test_files():
    test_files = [
        path.relative_to(BASE_DIR).as_posix()
        for path in BASE_DIR.rglob("test_*.py")
        if ".venv" not in path.parts
    ]

    unmatched = [
        fragment
        for fragment in SHARED_CACHE_TESTS
        if not any(fragment in f"/{name}" for name in test_files)
    ]

    assert unmatched == []
