"""The ``palaute`` command: Django's management commands with our settings preselected.

Examples: ``palaute migrate``, ``palaute demo``, ``palaute runserver``, ``palaute survey export``.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palaute.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
