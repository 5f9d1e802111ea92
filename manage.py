#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conduit.settings")
    # A configuration's common mistakes end with one line, not a traceback (conduit/cli.py).
    from conduit.cli import main as run

    run(sys.argv)


if __name__ == "__main__":
    main()
