"""Choices of satisfaction surveys (R-SV). Stable lower-case values; the labels are the glossary's words."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Runner(models.TextChoices):
    """The department that runs a survey (R-SV-1) and so who reviews its report and who reads it (R-SV-5)."""

    CUSTOMER_SERVICE = "customer_service", _("Customer service department")
    MANAGEMENT_OFFICE = "management_office", _("Management office")
    QUALITY = "quality", _("QA department")
    ADMIN = "admin", _("Admin department")


class FormKind(models.TextChoices):
    FEEDBACK_FORM = "feedback_form", _("Feedback form")  # 征询表
    QUESTIONNAIRE = "questionnaire", _("Questionnaire")  # 调查表


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    AD_HOC = "ad_hoc", _("As needed")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    RUNNING = "running", pgettext_lazy("survey campaign", "Running")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Rating(models.IntegerChoices):
    """The four-point scale and "no answer" (R-SV-4). The value is the digit keyed in for it."""

    UNRATED = 0, pgettext_lazy("survey rating", "No answer")  # 未表态
    VERY_SATISFIED = 1, pgettext_lazy("survey rating", "Very satisfied")  # 很满意
    SATISFIED = 2, pgettext_lazy("survey rating", "Satisfied")  # 满意
    FAIRLY_SATISFIED = 3, pgettext_lazy("survey rating", "Fairly satisfied")  # 较满意
    UNSATISFIED = 4, pgettext_lazy("survey rating", "Unsatisfied")  # 不满意


QUALIFIED = frozenset({Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.FAIRLY_SATISFIED})  # 合格项


class Channel(models.TextChoices):
    """How a form's answers arrived."""

    PAPER = "paper", _("Paper form keyed in")
    ONLINE = "online", _("Owner portal")
    QR = "qr", _("QR code on the form")
    IMPORT = "import", _("Workbook import")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("Awaiting review")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved")
    DISTRIBUTED = "distributed", _("Distributed")


class Audience(models.TextChoices):
    """Who a reviewed report goes to (R-SV-5)."""

    DEPARTMENTS = "departments", _("The relevant departments")
    LEADERS = "leaders", _("The leaders in charge")


class ImportStatus(models.TextChoices):
    CHECKED = "checked", _("Checked, not imported")
    REJECTED = "rejected", _("Has problems")
    COMMITTED = "committed", _("Imported")
