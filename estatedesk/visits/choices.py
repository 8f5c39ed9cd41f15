from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Purpose(models.TextChoices):
    """Why a return visit is made."""

    MONTHLY = "monthly", _("Monthly return visit")  # R-FB-6: last month's customers
    SERIOUS = "serious", _("Visit on serious dissatisfaction")  # R-RV-3, linked to the first visit
    PAID_SERVICE = "paid_service", _("Paid-service quality visit")  # R-RV-2, by QA
    SURVEY_CHECK = "survey_check", _("Survey authenticity check")  # R-RV-1
    VERIFICATION = "verification", _("Nonconformity verification visit")  # R-RV-4: must come back A or B
    AD_HOC = "ad_hoc", _("Ad-hoc return visit")


class VisitStatus(models.TextChoices):
    DUE = "due", _("To visit")
    GRADED = "graded", _("Visited")
    CANCELLED = "cancelled", _("Cancelled")


class Grade(models.TextChoices):
    """附表三: 满意 / 较满意 / 不满意."""

    A = "A", _("A Satisfied")
    B = "B", _("B Fairly satisfied")
    C = "C", _("C Unsatisfied")


class AttemptOutcome(models.TextChoices):
    """An attempt that reached no grade: counted as an attempt, never as a grade."""

    NO_ANSWER = "no_answer", _("No answer")
    REFUSED = "refused", _("Refused the visit")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    RESCHEDULED = "rescheduled", _("Rescheduled")


class VisitChannel(models.TextChoices):
    PHONE = "phone", _("By phone")
    ON_SITE = "on_site", _("On site")
    PORTAL = "portal", _("Owner portal")


class VisitRule(models.TextChoices):
    """A category's policy for the monthly list (R-FB-6)."""

    ALWAYS = "always", _("Always visit")
    SKIP_IF_RATED = "skip_if_rated", _("Skip if the owner already rated")
    NEVER = "never", _("Never visit")
    SAMPLE = "sample", _("Visit a sample")


class ClientKind(models.TextChoices):
    """R-CS-1: the contracting client of the property service (贵方), not an individual owner."""

    DEVELOPER = "developer", _("Developer")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    INSTITUTION = "institution", _("Institution")
    OTHER = "other", _("Other client")


class ClientVisitKind(models.TextChoices):
    REGULAR = "regular", _("Regular visit")
    AD_HOC = "ad_hoc", _("Ad-hoc visit")


class ClientVisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", pgettext_lazy("client visit", "Visited")
    CANCELLED = "cancelled", _("Cancelled")
