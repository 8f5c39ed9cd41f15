from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "estatedesk.visits"
    label = "visits"
    verbose_name = _("Return visits")

    def ready(self) -> None:
        from estatedesk.feedback import followups
        from estatedesk.visits.services import on_dissatisfaction

        # R-RV-3: an owner's C rating arranges the separate visit (a visit graded C arranges its own)
        followups.listen("visits.serious_visit", on_dissatisfaction)
