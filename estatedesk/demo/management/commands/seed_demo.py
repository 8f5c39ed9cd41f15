from typing import Any

from django.core.management.base import BaseCommand

from estatedesk.demo.seeding import demo_logins, seed_demo


class Command(BaseCommand):
    help = "Load the demo company, projects and one account per role (running it again adds nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = seed_demo()
        self.stdout.write("demo data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        for line in demo_logins():
            self.stdout.write(line)
