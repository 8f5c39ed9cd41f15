from django.db import models
from django.utils.translation import gettext_lazy as _


class Relation(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")
    MEMBER = "member", _("Household member")


class IdType(models.TextChoices):
    ID_CARD = "id_card", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAU_PERMIT = "hk_macau_permit", _("Hong Kong and Macau permit")
    TAIWAN_PERMIT = "taiwan_permit", _("Taiwan compatriot permit")
    OTHER = "other", _("Other")


class ContactPreference(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("Text message")
    EMAIL = "email", _("Email")


class ImportStatus(models.TextChoices):
    INVALID = "invalid", _("Has problems")
    VALIDATED = "validated", _("Checked, ready to import")
    COMMITTED = "committed", _("Imported")


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    APPROVED = "approved", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class EmailChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the account holder")
    CONFIRMED = "confirmed", _("Confirmed by the account holder")
    REPORTED = "reported", _("Reported as not asked for")
    REPLACED = "replaced", _("Replaced or withdrawn")


class AccountRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the service centre")
    CONFIRMED = "confirmed", _("Confirmed, invitation issued")
    DECLINED = "declined", _("Declined")
