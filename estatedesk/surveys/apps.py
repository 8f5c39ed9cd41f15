from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "estatedesk.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        from estatedesk.common.navigation import NavItem, register_home_section, register_nav
        from estatedesk.org.permissions import can_anywhere
        from estatedesk.surveys.home import home_section

        register_home_section("survey_reports", 40, home_section)

        register_nav(
            NavItem(
                "surveys",
                _("Surveys"),
                "surveys:campaign_list",
                20,
                lambda user: can_anywhere(user, "surveys.view"),
                "☑",
                active_for=("surveys:",),
            )
        )
