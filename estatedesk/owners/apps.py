from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OwnersConfig(AppConfig):
    name = "estatedesk.owners"
    label = "owners"
    verbose_name = _("Owner archive")

    def ready(self) -> None:
        from estatedesk.common.navigation import NavItem, register_nav
        from estatedesk.common.scoping import scope_for

        register_nav(
            NavItem("owners", _("My home"), "owners:portal", 5, lambda user: scope_for(user).is_owner, "⌂")
        )
