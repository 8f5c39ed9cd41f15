"""The month's feedback statistics page (R-FB-7): what the CS department brings to the general manager's
monthly meeting. Thin: the query in, `statistics.selectors.month_statistics`, the page out; the API serves the
same figures from the same function."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from estatedesk.common import months
from estatedesk.feedback.selectors import duration_text
from estatedesk.feedback.statistics import selectors as selectors_stats
from estatedesk.feedback.statistics.forms import StatisticsFilterForm
from estatedesk.feedback.statistics.selectors import MonthStatistics, Share
from estatedesk.org.permissions import can_anywhere


def _list_url(project_code: str, month: str, **filters: str) -> str:
    """The item list with the same filter and month, so that it shows the items counted."""
    query = {
        name: value for name, value in {**filters, "project": project_code, "month": month}.items() if value
    }
    return reverse("feedback:item_list") + f"?{urlencode(query)}"


def _rows(shares: list[Share], *, param: str, project_code: str, month: str) -> list[dict[str, Any]]:
    return [
        {
            "value": share.value,
            "label": share.label,
            "count": share.count,
            "percent": share.percent,
            "url": _list_url(project_code, month, **{param: share.value}) if share.count else "",
        }
        for share in shares
    ]


def _sections(stats: MonthStatistics, project_code: str) -> list[dict[str, Any]]:
    month = f"{stats.month:%Y-%m}"
    """The four breakdowns: title, chart type and the rows of the table under the chart."""
    return [
        {
            "key": key,
            "title": title,
            "chart": chart,
            "rows": _rows(shares, param=key, project_code=project_code, month=month),
        }
        for key, title, chart, shares in (
            ("kind", _("By kind"), "pie", stats.by_kind),
            ("category", _("By category"), "hbar", stats.by_category),
            ("channel", _("By channel"), "bar", stats.by_channel),
            ("status", _("By status"), "hbar", stats.by_status),
        )
    ]


def _chart_data(sections: list[dict[str, Any]], stats: MonthStatistics) -> dict[str, Any]:
    """What the charts draw, for json_script: the same numbers as the tables."""
    data: dict[str, Any] = {
        section["key"]: {
            "type": section["chart"],
            "labels": [row["label"] for row in section["rows"]],
            "values": [row["count"] for row in section["rows"]],
            "name": _("Items"),
        }
        for section in sections
    }
    data["clocks"] = {
        "type": "rate",
        "labels": [clock.label for clock in stats.clocks],
        "values": [clock.rate for clock in stats.clocks],
        "name": _("Met in time (%)"),
    }
    return data


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, "feedback.view"):  # the item list's check
        raise PermissionDenied
    user = request.user
    this_month = months.current_month()
    month_text = request.GET.get("month", "").strip()
    month = months.parse_month(month_text) if month_text else this_month
    invalid_month = month_text if month is None else ""
    month = month or this_month
    project_code = request.GET.get("project", "").strip()
    project = selectors_stats.statistics_project_get(user=user, code=project_code) if project_code else None
    projects = selectors_stats.statistics_projects(user=user)
    if project is not None and project not in projects:
        projects.append(project)  # an inactive project is no choice of the list, but its figures still count
    stats = selectors_stats.month_statistics(user=user, month=month, project=project)
    code = project.code if project else ""
    sections = _sections(stats, code)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "feedback/statistics.html",
        {
            "form": StatisticsFilterForm(
                initial={"month": f"{month:%Y-%m}", "project": code}, projects=projects
            ),
            "invalid_month": invalid_month,
            "stats": stats,
            "month": month,
            "project": project,
            "sections": sections,
            "chart_data": _chart_data(sections, stats) if stats.total else None,
            "average_handling": duration_text(round(stats.average_handling_seconds))
            if stats.average_handling_seconds is not None
            else "",
            "links": {
                "total": _list_url(code, f"{month:%Y-%m}"),
                "open": _list_url(code, f"{month:%Y-%m}", open_only="on"),
                "closed": _list_url(code, f"{month:%Y-%m}", status="closed"),
            },
            "previous_url": _month_url(previous, code),
            "next_url": _month_url(following, code) if following <= this_month else "",
            "previous_month": previous,
            "next_month": following,
        },
    )


def _month_url(month: date, project_code: str) -> str:
    query = {"month": f"{month:%Y-%m}", **({"project": project_code} if project_code else {})}
    return f"{reverse('feedback:statistics')}?{urlencode(query)}"
