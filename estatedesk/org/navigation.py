from django.utils.translation import gettext_lazy as _

from estatedesk.common.navigation import NavItem, register_nav
from estatedesk.org.permissions import can_anywhere


def staff(user: object) -> bool:
    return can_anywhere(user, "org.view")


def register() -> None:
    register_nav(NavItem("home", _("Home"), "home", 0, staff, "⌂"))
    register_nav(
        NavItem("org", _("Projects"), "org:project_list", 10, staff, "▦", active_for=("org:project_detail",))
    )
    register_nav(
        NavItem(
            "calendars", _("Working calendars"), "org:calendar_list", 80, staff, "◷", ("org:calendar_edit",)
        )
    )
    register_nav(
        NavItem(
            "audit", _("Audit trail"), "org:audit_trail", 90, lambda u: can_anywhere(u, "audit.view"), "≣"
        )
    )
    register_nav(NavItem("api", _("API"), "api-docs", 95, lambda u: can_anywhere(u, "api.docs"), "{}"))
    register_nav(NavItem("admin", _("System admin"), "admin:index", 99, lambda u: u.is_staff, "⚙"))
