from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "estatedesk.reporting"
    label = "reporting"
    verbose_name = _("Reporting to HQ")

    def ready(self) -> None:
        from django.urls import NoReverseMatch, reverse

        from estatedesk.common.navigation import NavItem, register_nav
        from estatedesk.org.permissions import can_anywhere

        try:  # the menu item once its page exists (the app is being built)
            reverse("reporting:submission_list")
        except NoReverseMatch:
            return
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
