"""The owner archive's core (R-OA-1): residents and the units they live in. The owner-archive issue adds
contacts, documents, history and completeness on top of these two models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estatedesk.common.models import TimeStampedModel
from estatedesk.common.scoping import EVERYTHING, NO_ROWS, Scope, ScopedManager
from estatedesk.org.models import Unit
from estatedesk.owners.choices import Relation


class Resident(TimeStampedModel):
    """A person who owns, rents or lives in one or more units; may sign in to the owner portal."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        condition = NO_ROWS
        if scope.is_global:
            condition = EVERYTHING
        elif scope.is_staff_member:
            condition = Q(
                id__in=Occupancy.objects.filter(unit__project_id__in=sorted(scope.project_ids)).values(
                    "resident_id"
                )
            )
        if scope.is_owner:
            condition |= Q(user_id=scope.user_id)
        return condition


class Occupancy(TimeStampedModel):
    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="occupancies"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="occupancies"
    )
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    started_on = models.DateField(_("move-in date"), null=True, blank=True)
    ended_on = models.DateField(_("moved out on"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "unit", "relation"],
                condition=Q(ended_on__isnull=True),
                name="occupancy_current_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.unit} · {self.get_relation_display()}"

    @classmethod
    def scope_filter(cls, scope: Scope) -> Q:
        condition = scope.project_q("unit__project_id") if scope.is_staff_member else NO_ROWS
        if scope.is_owner:
            condition |= Q(resident__user_id=scope.user_id)
        return condition
