from typing import Any

from django.core.management.base import BaseCommand

from estatedesk.demo.seeding import ACCOUNTS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo company, projects and one account per role (running it again adds nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = seed_demo()
        self.stdout.write("demo data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        self.stdout.write(f"demo logins (password {DEMO_PASSWORD}):")
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.username:<14} {account.description}")
