from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Staff and owners alike sign in as a User; what they may see comes from org memberships (staff)
    and owner residencies (owners), never from fields here."""

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, db_index=True)
    preferred_language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    # one email a day at 08:00 with the items that have unread notifications (notifications/digest.py)
    daily_digest = models.BooleanField(_("daily digest email at 08:00"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def label(self) -> str:
        return str(self)
