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

        from estatedesk.common.access import register_capability_check
        from estatedesk.org.permissions import can

        register_capability_check(can)  # for the plumbing apps (the failed outbox), which cannot import org

        from estatedesk.org import navigation

        navigation.register()
