from typing import Any

from django.core.management.base import BaseCommand

from estatedesk.demo.seeding import demo_logins


class Command(BaseCommand):
    help = "Print the demo logins and their password (make demo prints them again once the site is up)."

    def handle(self, *args: Any, **options: Any) -> None:
        for line in demo_logins():
            self.stdout.write(line)
