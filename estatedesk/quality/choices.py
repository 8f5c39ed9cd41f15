"""The nonconformity procedure's vocabularies (不合格项控制程序, R-RV-4; ISO 9001 §10.2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Origin(models.TextChoices):
    """Where a nonconformity comes from."""

    RETURN_VISIT_C = "return_visit_c", _("Return visit graded C")
    OWNER_RATING = "owner_rating", _("Owner's C rating")
    ITEM = "item", _("Feedback item")
    SURVEY = "survey", _("Survey result")
    PATROL = "patrol", _("Patrol finding")
    MANUAL = "manual", _("Raised by hand")


# a confirmed dissatisfaction: one nonconformity per feedback item (a unique constraint)
DISSATISFACTION_ORIGINS = (Origin.RETURN_VISIT_C, Origin.OWNER_RATING)


class Stage(models.TextChoices):
    """The procedure, in order; `closed` and `cancelled` end it."""

    DRAFT = "draft", _("Draft")
    ANALYSIS = "analysis", _("Cause analysis")
    ACTION_PLAN = "action_plan", _("Action plan")
    IN_PROGRESS = "in_progress", _("Actions in progress")
    VERIFICATION = "verification", _("Verification")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STAGES = (Stage.DRAFT, Stage.ANALYSIS, Stage.ACTION_PLAN, Stage.IN_PROGRESS, Stage.VERIFICATION)


class CauseCategory(models.TextChoices):
    """人、机、料、法、环 and what lies outside the company."""

    PEOPLE = "people", _("People")
    PROCESS = "process", _("Process")
    MATERIAL = "material", _("Material")
    EQUIPMENT = "equipment", _("Equipment")
    ENVIRONMENT = "environment", _("Environment")
    EXTERNAL = "external", _("External")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    SERIOUS = "serious", _("Serious")


class ActionKind(models.TextChoices):
    """ISO 9001 §10.2: correct the nonconformity, remove its cause, keep it from happening elsewhere."""

    CORRECTION = "correction", _("Correction")
    CORRECTIVE = "corrective", _("Corrective action")
    PREVENTIVE = "preventive", _("Preventive action")


class VerificationResult(models.TextChoices):
    EFFECTIVE = "effective", _("Effective")
    NOT_EFFECTIVE = "not_effective", _("Not effective")


class EventKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ANALYSED = "analysed", _("Cause analysed")
    ACTION_ADDED = "action_added", _("Action added")
    ACTION_DONE = "action_done", _("Action done")
    STARTED = "started", _("Actions started")
    TO_VERIFICATION = "to_verification", _("Sent to verification")
    VISIT_ARRANGED = "visit_arranged", _("Verification visit arranged")
    VERIFIED = "verified", _("Verified effective")
    VERIFICATION_FAILED = "verification_failed", _("Verification failed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    REOPENED = "reopened", _("Reopened")
    DISSATISFACTION = "dissatisfaction", _("Customer dissatisfaction recorded")
    REMINDED = "reminded", _("Reminder sent")
