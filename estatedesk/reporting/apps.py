from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "estatedesk.reporting"
    label = "reporting"
    verbose_name = _("Reporting to HQ")

    def ready(self) -> None:
        from estatedesk.common.navigation import (
            NavItem,
            register_home_section,
            register_nav,
            register_nav_badge,
        )
        from estatedesk.org.permissions import can_anywhere
        from estatedesk.reporting import handoff
        from estatedesk.reporting.home import home_section
        from estatedesk.reporting.noticeboard import document_unread_count

        handoff.connect()  # R-IR-8: feedback's hand-off to HQ, and the reported items' progress
        register_home_section("reporting_queues", 45, home_section)

        def staff(user: object) -> bool:
            return can_anywhere(user, "reporting.view")

        register_nav(
            NavItem(
                "reporting",
                _("Reports to HQ"),
                "reporting:submission_list",
                24,
                staff,
                "⇪",
                active_for=(
                    "reporting:submission_detail",
                    "reporting:instant_new",
                    "reporting:catalogue",
                    "reporting:catalogue_type",
                    "reporting:catalogue_type_edit",
                    "reporting:catalogue_template",
                    "reporting:catalogue_rules",
                    "reporting:missing",
                    "reporting:proposal_list",
                    "reporting:proposal_new",
                    "reporting:proposal_decide",
                ),
            )
        )
        register_nav(
            NavItem(
                "reporting_scores",
                _("Reporting scores"),
                "reporting:scorecard",
                25,
                lambda user: can_anywhere(user, "reporting.scores"),
                "★",
                active_for=("reporting:score_reports", "reporting:rubric"),
            )
        )
        register_nav(
            NavItem(
                "noticeboard",
                _("HQ information portal"),
                "reporting:noticeboard",
                26,
                staff,
                "▤",
                active_for=(
                    "reporting:notice_department",
                    "reporting:notice_page",
                    "reporting:notice_new",
                    "reporting:notice_edit",
                    "reporting:newsletter_list",
                    "reporting:newsletter_issue",
                    "reporting:newsletter_new",
                    "reporting:newsletter_edit",
                ),
            )
        )
        register_nav(
            NavItem(
                "documents",
                _("Documents"),
                "reporting:document_list",
                27,
                staff,
                "✉",
                active_for=("reporting:document_new", "reporting:document_detail"),
            )
        )
        register_nav_badge("documents", lambda user: document_unread_count(user=user) or None)
        register_nav(
            NavItem(
                "activities",
                _("Community activities"),
                "reporting:activity_list",
                28,
                staff,
                "☺",
                active_for=("reporting:activity_new", "reporting:activity_detail"),
            )
        )
