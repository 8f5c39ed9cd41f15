from typing import Any

from django.contrib import admin

from estatedesk.common.admin import AuditedAdmin
from estatedesk.feedback.models import FeedbackItem, InboundMessage, Mailbox, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    """Business parameters: the working minutes each clock allows (R-FB-2, R-FB-4)."""

    list_display = ("clock", "kind", "category", "priority", "minutes", "uses_hotline_calendar", "company")
    list_filter = ("clock", "company")


@admin.register(Mailbox)
class MailboxAdmin(AuditedAdmin):
    list_display = ("project", "username", "host", "port", "is_active", "last_polled_at", "last_error")
    exclude = ("last_error",)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Every message fetched from a complaint mailbox, read-only: what it became, the last error and the
    retries of work left on it. Quarantined messages are handled on /feedback/mail/quarantine/ (scoped and
    audited); the raw copy is never shown here."""

    list_display = (
        "received_at",
        "mailbox",
        "sender",
        "subject",
        "outcome",
        "item",
        "attempts",
        "retry_at",
        "notified_at",
        "error",
    )
    list_filter = ("outcome", "mailbox")
    search_fields = ("subject", "sender", "message_id")
    list_select_related = ("mailbox", "item")
    exclude = ("raw", "raw_file")
    readonly_fields = [f.name for f in InboundMessage._meta.fields if f.name not in ("raw", "raw_file")]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # messages change only through the mailbox and the quarantine page


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "project", "status", "kind", "channel", "registered_at")
    list_filter = ("status", "kind", "channel", "project")
    search_fields = ("reference", "title")
    list_select_related = ("project",)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # items change only through the workflow services, which keep the timeline

    def has_add_permission(self, request: Any) -> bool:
        return False
