"""Choices of HQ reporting (R-IR). Stable lower-case values; labels in the glossary's words."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InfoClass(models.TextChoices):
    PERIODIC = "periodic", _("Periodic information")  # 定期信息
    INSTANT = "instant", _("Instant information")  # 即时信息
    OTHER = "other", _("Other business information")  # 其它业务信息


class ReportingScope(models.TextChoices):
    """Who must report a type (范围)."""

    BRANCH = "branch", _("Each branch company")
    PROJECT = "project", _("Each project")


class DeadlineRule(models.TextChoices):
    """When a report is due (提交时间); the numbers are on the type (deadline_day, deadline_month, …)."""

    MONTHLY_BY_DAY = "monthly_by_day", _("By a day of the next month")  # 每月10日前
    DAILY = "daily", _("Daily")  # 入住快报: daily during a centralised move-in
    EVERY_N_DAYS = "every_n_days", _("At least every N days")  # … at least every 5 days
    WITHIN_HOURS = "within_hours", _("Within hours of the event")  # 24 小时内 / 即时
    YEARLY_BY_DAY = "yearly_by_day", _("By a day of a month each year")  # 每年1月15日前
    YEARLY_IN_MONTH = "yearly_in_month", _("Within a month each year")  # 每年1月


class Special(models.TextChoices):
    """Types the system treats specially."""

    NONE = "", _("Ordinary")
    EMERGENCY = "emergency", _("Class-1 emergency")  # R-IR-4
    COMPLAINT = "complaint", _("Major or hot complaint")  # R-IR-8
    MOVE_IN = "move_in", _("Move-in bulletin")
    BUSINESS = "business", _("Monthly business report")  # class-2 events go into it


class SubmissionStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, awaiting review")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Accepted")


class EmergencyClass(models.TextChoices):
    CLASS_1 = "class_1", _("Class-1 emergency")  # 一类突发事件
    CLASS_2 = "class_2", _("Class-2 emergency")  # 二类突发事件


class UpdateKind(models.TextChoices):
    """The report's history (its timeline), written by events.py only."""

    CREATED = "created", _("Created")
    SUBMITTED = "submitted", _("Submitted")
    RESUBMITTED = "resubmitted", _("Resubmitted after correction")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", pgettext_lazy("report", "Accepted")
    FIRST = "first", _("First report")  # 首报
    FOLLOW_UP = "follow_up", _("Follow-up report")  # 续报
    FINAL = "final", _("Final report")  # 终报
    CLASS_SET = "class_set", _("Class confirmed")
    NOTE = "note", _("Note")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", pgettext_lazy("proposal", "Accepted")
    DECLINED = "declined", _("Declined")


class DocumentDirection(models.TextChoices):
    INBOUND = "inbound", _("Received by HQ")  # 各单位 → 物业管理部文件管理员 → leaders / departments
    OUTBOUND = "outbound", _("Sent by HQ to projects")  # HQ → project manager / document administrator


class IssueStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ActivityKind(models.TextChoices):
    COMMUNITY = "community", _("Community activity")
    CULTURAL = "cultural", _("Company cultural activity")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
