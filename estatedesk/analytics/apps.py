from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "estatedesk.analytics"
    label = "analytics"
    verbose_name = _("Dashboards and monthly packs")

    def ready(self) -> None:
        from estatedesk.analytics.scopes import can_view_any_scope
        from estatedesk.common.navigation import NavItem, register_nav
        from estatedesk.org.permissions import can_anywhere

        register_nav(
            NavItem(
                "dashboard",
                _("Dashboards"),
                "analytics:dashboard",
                22,
                can_view_any_scope,
                "▦",
                active_for=("analytics:drilldown",),
            )
        )
        register_nav(
            NavItem(
                "monthly_packs",
                _("Monthly packs"),
                "analytics:pack_list",
                23,
                lambda user: can_anywhere(user, "analytics.pack"),
                "▣",
                active_for=("analytics:pack_detail", "analytics:alert_rules", "analytics:alert_list"),
            )
        )
