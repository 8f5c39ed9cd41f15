from typing import Any

from django.core.management.base import BaseCommand

from estatedesk.org.models import Company
from estatedesk.org.services import company_seed_defaults


class Command(BaseCommand):
    help = "Create the company (if new) with its default working calendars and public holidays."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--code", required=True, help="short code in capitals, e.g. AJ")
        parser.add_argument("--name", required=True, help="the company's name")

    def handle(self, *args: Any, code: str, name: str, **options: Any) -> None:
        company, created = Company.objects.get_or_create(code=code, defaults={"name": name})
        company_seed_defaults(company=company)
        verb = "created" if created else "already existed; defaults checked"
        self.stdout.write(
            f"company {company.code} {verb}: {company.calendars.count()} calendars, "
            f"{company.holidays.count()} public holidays and make-up days"
        )
