from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "estatedesk.visits"
    label = "visits"
    verbose_name = _("Return visits")

    def ready(self) -> None:
        from estatedesk.common.navigation import NavItem, register_home_section, register_nav
        from estatedesk.feedback import followups
        from estatedesk.org.permissions import can_anywhere
        from estatedesk.visits.home import home_section, nav_item
        from estatedesk.visits.services import on_dissatisfaction

        # R-RV-3: an owner's C rating arranges the separate visit (a visit graded C arranges its own)
        followups.listen("visits.serious_visit", on_dissatisfaction)
        register_home_section("visits_due", 20, home_section)
        register_nav(nav_item())
        register_nav(
            NavItem(
                "client_visits",
                _("Client visits"),
                "visits:client_visit_list",
                16,
                lambda user: can_anywhere(user, "visits.view"),
                "☏",
                active_for=(
                    "visits:client_visit_plan",
                    "visits:client_visit_detail",
                    "visits:client_visit_cancel",
                    "visits:client_visit_raise_item",
                ),
            )
        )
