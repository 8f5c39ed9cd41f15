from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "estatedesk.feedback"
    label = "feedback"
    verbose_name = _("Customer feedback")

    def ready(self) -> None:
        from estatedesk.common.navigation import (
            NavItem,
            register_home_section,
            register_nav,
            register_nav_badge,
        )
        from estatedesk.feedback.home import home_section
        from estatedesk.feedback.queues import menu_count
        from estatedesk.org.permissions import can_anywhere

        # the work waiting in the user's queues, beside "Home" (org's item: the home is the work queue)
        register_nav_badge("home", menu_count)
        register_home_section("feedback_queues", 10, home_section)

        register_nav(
            NavItem(
                "feedback",
                _("Customer feedback"),
                "feedback:item_list",
                12,
                lambda user: can_anywhere(user, "feedback.view"),
                "✉",
                active_for=("feedback:",),
            )
        )
        register_nav(
            NavItem(
                "feedback_statistics",
                _("Feedback statistics"),
                "feedback:statistics",
                13,
                lambda user: can_anywhere(user, "feedback.view"),
                "▥",
            )
        )
        register_nav(
            NavItem(
                "feedback_mail_quarantine",
                _("Mail quarantine"),
                "feedback:mail_quarantine",
                14,
                lambda user: can_anywhere(user, "feedback.mail_quarantine"),
                "⚠",
                active_for=("feedback:mail_quarantine_detail",),
            )
        )
