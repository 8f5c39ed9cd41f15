from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "estatedesk.quality"
    label = "quality"
    verbose_name = _("Nonconformities")

    def ready(self) -> None:
        from estatedesk.common.navigation import NavItem, register_home_section, register_nav
        from estatedesk.org.permissions import can_anywhere
        from estatedesk.quality.home import home_section
        from estatedesk.quality.services import register_listeners

        # R-RV-4: a confirmed C (an owner's rating, a return visit) opens the item's nonconformity
        register_listeners()
        register_home_section("quality_queues", 30, home_section)
        register_nav(
            NavItem(
                "quality",
                _("Nonconformities"),
                "quality:list",
                22,
                lambda user: can_anywhere(user, "quality.view"),
                "⚑",
                active_for=("quality:",),
            )
        )
