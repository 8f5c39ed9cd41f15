from django.db import models
from django.utils.translation import gettext_lazy as _


class Relation(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")
    MEMBER = "member", _("Household member")
