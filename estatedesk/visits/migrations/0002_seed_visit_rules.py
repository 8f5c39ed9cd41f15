"""The return-visit rules and one 'always visit' policy per feedback category for every company that
exists (policies.visit_rules_seed does the same for new ones; without rows the defaults are read)."""

from django.db import migrations

CATEGORIES = (
    "engineering",
    "order",
    "cleaning",
    "greening",
    "customer_service",
    "staff_attitude",
    "fees",
    "other",
)


def seed(apps, schema_editor):
    Company = apps.get_model("org", "Company")
    VisitRules = apps.get_model("visits", "VisitRules")
    VisitPolicy = apps.get_model("visits", "VisitPolicy")
    for company in Company.objects.all():
        VisitRules.objects.get_or_create(company=company)
        for category in CATEGORIES:
            VisitPolicy.objects.get_or_create(
                company=company, category=category, defaults={"rule": "always", "sample_percent": 100}
            )


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
