"""The company's return-visit parameters as data (R-FB-6, R-RV-2, R-RV-3): `VisitRules` and the
`VisitPolicy` of each feedback category.

Defaults: a company without a `VisitRules` row reads the model's defaults (an unsaved instance: no write
on a read), and a category without a `VisitPolicy` row is always visited (R-FB-6: every customer who gave
feedback is on next month's list). `visit_rules_seed(company=...)` writes the rows HQ then edits; the demo
calls it, and migration 0002 ran it for the companies that existed then. Running it again adds nothing
and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from estatedesk.feedback.choices import Category
from estatedesk.org.models import Company
from estatedesk.visits.choices import VisitRule
from estatedesk.visits.models import VisitPolicy, VisitRules


def visit_rules_for(*, company_id: int) -> VisitRules:
    """The company's rules, or the defaults (unsaved) while it has none."""
    rules = VisitRules.objects.filter(company_id=company_id).first()
    return rules if rules is not None else VisitRules(company_id=company_id)


@dataclass(frozen=True)
class CategoryPolicy:
    rule: str
    sample_percent: int = 100


ALWAYS = CategoryPolicy(VisitRule.ALWAYS)


def visit_policies_for(*, company_id: int) -> dict[str, CategoryPolicy]:
    """{category: policy} of every category; ALWAYS where the company has no row."""
    policies = dict.fromkeys(Category.values, ALWAYS)
    for category, rule, percent in VisitPolicy.objects.filter(company_id=company_id).values_list(
        "category", "rule", "sample_percent"
    ):
        policies[category] = CategoryPolicy(rule, percent)
    return policies


def visit_rules_seed(*, company: Company) -> VisitRules:
    """The company's VisitRules row and one VisitPolicy row per category (always visit), when missing."""
    rules, _created = VisitRules.objects.get_or_create(company=company)
    for category in Category.values:
        VisitPolicy.objects.get_or_create(
            company=company, category=category, defaults={"rule": VisitRule.ALWAYS, "sample_percent": 100}
        )
    return rules
