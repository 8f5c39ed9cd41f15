from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "estatedesk.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from estatedesk.common.scoping import register_scope_resolver
        from estatedesk.org.scoping import compute_scope

        register_scope_resolver(compute_scope)

        from estatedesk.org import navigation

        navigation.register()
