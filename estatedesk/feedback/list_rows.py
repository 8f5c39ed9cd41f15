"""The rows of the staff list (feedback/item_list.html), written in Python: 50 rows of six cells through
the template engine took more than half of the page's time (a lookup, an escape and a translation per
cell, a URL reversed per row); here each row is one format string. The markup is the template's: the
table, its headers and everything around it stay in the template, and every value is escaped (by the
standard library's escape, which Django's wraps with a check of its argument for a lazy string)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from estatedesk.common.models import choice_labels
from estatedesk.feedback.choices import Status
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.selectors import Deadline, ListRow

_STATUS_BADGE: dict[str, str] = {Status.CLOSED: " badge--success", Status.CANCELLED: " badge--muted"}
_PLACEHOLDER = "REFERENCE"


def _deadline_cell(deadline: Deadline | None, zone: tzinfo) -> str:
    if deadline is None:
        return '<span class="muted">—</span>'
    tone = " badge--danger" if deadline.is_overdue else " badge--warning" if deadline.is_close else ""
    due = deadline.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    overdue = ' data-overdue="1"' if deadline.is_overdue else ""
    title = f"{escape(str(deadline.label))} · {due}"
    return (
        f'<span class="badge{tone}" title="{title}" data-testid="deadline"{overdue}>'
        f"{escape(str(deadline.text))}</span>"
    )


_STATUS = FeedbackItem._meta.get_field("status")
_CHANNEL = FeedbackItem._meta.get_field("channel")


def item_rows_html(rows: Iterable[tuple[ListRow, Deadline | None]]) -> SafeString:
    """The <tr> of each (row, its next deadline), as the list's table shows them (selectors.list_rows)."""
    link = reverse("feedback:item_detail", args=[_PLACEHOLDER])
    head, tail = link.split(_PLACEHOLDER)
    major = f' <span class="badge badge--danger">{escape(_("Major"))}</span>'
    hot = f' <span class="badge badge--warning">{escape(_("Hot"))}</span>'
    labels = {
        "Project": escape(_("Project")),
        "Status": escape(_("Status")),
        "Time left": escape(_("Time left")),
        "Channel": escape(_("Channel")),
    }
    # the page's language and time zone looked up once, not per row
    status_labels, channel_labels = choice_labels(_STATUS), choice_labels(_CHANNEL)
    zone = timezone.get_current_timezone()
    html = []
    for item, deadline in rows:
        reference = escape(item.reference)
        unit = f' <span class="muted small">{escape(item.unit__label)}</span>' if item.unit__label else ""
        url = f"{head}{quote(item.reference)}{tail}"
        tone = _STATUS_BADGE.get(item.status, " badge--info")
        channel = escape(channel_labels.get(item.channel, item.channel))
        html.append(
            f'<tr data-testid="feedback-row" data-reference="{reference}">'
            f'<td class="nowrap table__lead"><a href="{url}">{reference}</a></td>'
            f"<td>{escape(item.title)}{major if item.is_major else ''}{hot if item.is_hot else ''}</td>"
            f'<td data-label="{labels["Project"]}">{escape(item.project__name)}{unit}</td>'
            f'<td data-label="{labels["Status"]}"><span class="badge{tone}">'
            f"{escape(status_labels.get(item.status, item.status))}</span></td>"
            f'<td class="nowrap" data-label="{labels["Time left"]}">{_deadline_cell(deadline, zone)}</td>'
            f'<td class="nowrap" data-label="{labels["Channel"]}">{channel}</td>'
            "</tr>"
        )
    return mark_safe("\n".join(html))  # noqa: S308 - every value above is escaped
