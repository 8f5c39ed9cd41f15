from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    REPAIR = "repair", _("Repair request")
    SUGGESTION = "suggestion", _("Suggestion")
    INQUIRY = "inquiry", _("Inquiry")
    PRAISE = "praise", _("Praise")


class Category(models.TextChoices):
    ENGINEERING = "engineering", _("Engineering and repairs")
    ORDER = "order", _("Order and security")
    CLEANING = "cleaning", _("Cleaning")
    GREENING = "greening", _("Greening")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    STAFF_ATTITUDE = "staff_attitude", _("Staff attitude")
    FEES = "fees", _("Fees")
    OTHER = "other", _("Other")


# R-CS-5: a deficiency found on patrol goes to order, greening, cleaning, engineering or customer service
PATROL_CATEGORIES = (
    Category.ORDER,
    Category.GREENING,
    Category.CLEANING,
    Category.ENGINEERING,
    Category.CUSTOMER_SERVICE,
)


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    EMAIL = "email", _("Complaint mailbox")
    PORTAL = "portal", _("Owner portal")
    QR = "qr", _("QR code")
    WALK_IN = "walk_in", _("Walk-in")
    PATROL = "patrol", _("Patrol finding")
    CLIENT_VISIT = "client_visit", _("Client visit")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    """The R-FB path, in order; `closed` and `cancelled` end it."""

    REGISTERED = "registered", _("Registered")
    SUPERVISOR_CONTACTED = "supervisor_contacted", _("Supervisor contacted")
    OPINION_RECORDED = "opinion_recorded", _("Handling opinion recorded")
    ARRANGED = "arranged", _("Arranged by the project manager")
    IN_PROGRESS = "in_progress", _("In progress")
    HANDLED = "handled", _("Handled")
    CS_INFORMED = "cs_informed", _("Customer service informed")
    CUSTOMER_INFORMED = "customer_informed", _("Customer informed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = [s for s in Status.values if s not in (Status.CLOSED, Status.CANCELLED)]


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    TRANSITION = "transition", _("Step")
    COMMENT = "comment", _("Comment")
    ESCALATED = "escalated", _("Escalated")
    MAJOR_ALERT = "major_alert", _("General manager alerted")
    ATTACHMENT = "attachment", _("File added")
    STAFF_TALK = "staff_talk", _("Talk with the employee recorded")
    RATING = "rating", _("Rated by the customer")
    HQ_REPORT = "hq_report", _("Reported to HQ")
    EMAIL_REPLY = "email_reply", _("Email reply")
    EXECUTION_RECORD = "execution_record", _("Execution record changed")
    RECLASSIFIED = "reclassified", _("Reclassified")
    APPOINTMENT = "appointment", _("Appointment agreed with the customer")
    CHASED = "chased", _("Chased by the customer")
    WITHDRAWN = "withdrawn", _("Withdrawn by the customer")
    INFO_ADDED = "info_added", _("Information added by the customer")
    HANDED_OVER = "handed_over", _("Handed over")
    RETURN_VISIT = "return_visit", _("Return visit recorded")


class InformedBy(models.TextChoices):
    """How the customer was told (R-FB-5): one list for the step forms, the API, the timeline and the PDF."""

    PHONE = "phone", _("Phone call")
    SMS = "sms", _("Text message")
    EMAIL = "email", _("Email")
    IN_PERSON = "in_person", _("In person")
    PORTAL = "portal", _("Owner portal")


class Rating(models.TextChoices):
    """The return-visit scale of 附表三: A 满意, B 较满意, C 不满意."""

    A = "A", _("A · Satisfied")
    B = "B", _("B · Fairly satisfied")
    C = "C", _("C · Unsatisfied")


class SlaClock(models.TextChoices):
    CONTACT = "contact", _("Contact the supervisor")  # R-FB-2: 1 hour
    ARRANGE = "arrange", _("Arrange handling")  # R-FB-4: "at once" after the handling opinion
    ACTION = "action", _("Act on the quality problem")  # R-FB-4: default 30 minutes from the opinion
    RESOLUTION = "resolution", _("Resolve")


class TalkKind(models.TextChoices):
    TALK = "talk", _("Talk")
    CRITICISM = "criticism", _("Criticism")
