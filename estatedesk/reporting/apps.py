from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "estatedesk.reporting"
    label = "reporting"
    verbose_name = _("Reporting to HQ")

    def ready(self) -> None:
        from estatedesk.common.navigation import NavItem, register_nav
        from estatedesk.org.permissions import can_anywhere

        register_nav(
            NavItem(
                "reporting",
                _("Reports to HQ"),
                "reporting:submission_list",
                24,
                lambda user: can_anywhere(user, "reporting.view"),
                "⇪",
                active_for=("reporting:",),
            )
        )
