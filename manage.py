#!/usr/bin/env python
"""Django's command-line utility; `estatedesk` (installed by pip) is the same."""

from estatedesk.cli import main

if __name__ == "__main__":
    main()
