from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OwnersConfig(AppConfig):
    name = "estatedesk.owners"
    label = "owners"
    verbose_name = _("Owner archive")

    def ready(self) -> None:
        from estatedesk.common.audit import register_changes_mask
        from estatedesk.common.navigation import NavItem, register_nav
        from estatedesk.common.scoping import scope_for
        from estatedesk.org.permissions import can_anywhere
        from estatedesk.owners.privacy import audit_changes_mask

        # the audit trail masks phones and ID numbers wherever it is read (ADR 0007)
        register_changes_mask(audit_changes_mask)

        register_nav(
            NavItem(
                "owners",
                _("My home"),
                "owners:portal",
                5,
                lambda user: scope_for(user).is_owner,
                "⌂",
                active_for=("owners:portal_profile",),
            )
        )
        register_nav(
            NavItem(
                "archive",
                _("Owner archive"),
                "owners:archive_home",
                20,
                lambda user: can_anywhere(user, "owners.view"),
                "☷",
                active_for=(
                    "owners:project_archive",
                    "owners:resident_detail",
                    "owners:resident_edit",
                    "owners:change_request_list",
                    "owners:import_upload",
                    "owners:import_detail",
                ),
            )
        )
        register_nav(
            NavItem(
                "lookup",
                _("Caller lookup"),
                "owners:lookup",
                15,
                lambda user: can_anywhere(user, "owners.view"),
                "☎",
            )
        )
