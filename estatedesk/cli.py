"""The `estatedesk` console command: the same commands as manage.py."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "estatedesk.config.settings")
    from django.core.management import execute_from_command_line

    argv = [arg.replace("-", "_") if i == 1 else arg for i, arg in enumerate(sys.argv)]
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
