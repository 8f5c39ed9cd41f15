from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from estatedesk.demo.seeding import demo_logins, seed_demo


class Command(BaseCommand):
    help = "Load the demo company, projects and one account per role (running it again adds nothing)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--organisation-only",
            action="store_true",
            help="the company, projects, units, residents and accounts, without the feedback history, "
            "visits, surveys, reports and packs (tests that make their own data)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = seed_demo(feedback=not options["organisation_only"])
        self.stdout.write("demo data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        for line in demo_logins():
            self.stdout.write(line)
