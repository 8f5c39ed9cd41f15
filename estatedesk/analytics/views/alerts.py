"""Pages of the alerts between packs (issue 15, deliverable 4). Thin: input → `analytics.alerts` → a page
or a redirect.

- analytics:alert_list (alerts/): the breaches the user may see (their projects'), newest first, with the
  figure, the window, the unit and a link to the dashboard of that project and window;
- analytics:alert_rules (alerts/rules/): the company's rules; those with `analytics.alerts.manage` (HQ,
  system administrators) add rules and fill in the defaults; others get 403;
- analytics:alert_rule_edit (alerts/rules/<id>/): edit one rule (the same capability);
- analytics:alert_rules_seed (alerts/rules/seed/, POST): add the default rules the company lacks.
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from estatedesk.analytics import alerts
from estatedesk.analytics.models import AlertBreach, AlertRule
from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.org.models import Company
from estatedesk.org.permissions import can, can_anywhere

PAGE_SIZE = 50
MANAGE = "analytics.alerts.manage"


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = ["name", "metric", "comparison", "threshold", "window", "minimum_count", "is_active"]


def _require_alerts(request: HttpRequest) -> None:
    """The alert list: staff who may look at figures somewhere, or manage the rules."""
    user = request.user
    if not (can_anywhere(user, "analytics.view") or can(user, MANAGE)):
        raise PermissionDenied


def _require_manage(request: HttpRequest) -> Company:
    if not can(request.user, MANAGE):
        raise PermissionDenied
    company = Company.objects.visible_to(request.user).order_by("pk").first()
    if company is None:
        raise Http404
    return company


def dashboard_url(breach: AlertBreach) -> str:
    """The dashboard of the breach's project over its window ("" while the dashboard has no page)."""
    try:
        base = reverse("analytics:dashboard")
    except NoReverseMatch:
        return ""
    window = alerts.breach_window(breach)
    return f"{base}?{urlencode({'scope': f'project:{breach.project.code}', 'period': window.text})}"


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    _require_alerts(request)
    page = CappedPaginator(alerts.alert_breach_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "breach": breach,
            "unit": alerts.unit_label(breach),
            "value": alerts.value_text(breach),
            "window": alerts.window_text(breach),
            "dashboard": dashboard_url(breach),
        }
        for breach in page.object_list
    ]
    return render(
        request,
        "analytics/alert_list.html",
        {"page": page, "rows": rows, "can_manage": can(request.user, MANAGE)},
    )


def _render_rules(
    request: HttpRequest, company: Company, *, form: AlertRuleForm | None = None, status: int = 200
) -> HttpResponse:
    rules = list(AlertRule.objects.visible_to(request.user).filter(company=company).order_by("metric", "id"))
    return render(
        request,
        "analytics/alert_rules.html",
        {"rules": rules, "form": form or AlertRuleForm(), "company": company},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def alert_rules(request: HttpRequest) -> HttpResponse:
    company = _require_manage(request)
    if request.method != "POST":
        return _render_rules(request, company)
    form = AlertRuleForm(request.POST)
    if form.is_valid():
        try:
            alerts.alert_rule_create(actor=request.user, company=company, data=form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Alert rule added."))
            return redirect("analytics:alert_rules")
    return _render_rules(request, company, form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def alert_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    rule = alerts.alert_rule_get_for_user(user=request.user, pk=pk)
    form = AlertRuleForm(request.POST or None, instance=copy.copy(rule))  # the form edits its copy
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                alerts.alert_rule_update(actor=request.user, rule=rule, data=form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Alert rule saved."))
                return redirect("analytics:alert_rules")
        status = 400
    return render(request, "analytics/alert_rule_edit.html", {"rule": rule, "form": form}, status=status)


@login_required
@require_POST
def alert_rules_seed(request: HttpRequest) -> HttpResponse:
    company = _require_manage(request)
    made = alerts.alert_rules_seed(company=company)
    if made:
        messages.success(request, _("%(count)d default rules added.") % {"count": len(made)})
    else:
        messages.info(request, _("The company already has the default rules."))
    return redirect("analytics:alert_rules")


urlpatterns: list[URLPattern] = [
    path("alerts/", alert_list, name="alert_list"),
    path("alerts/rules/", alert_rules, name="alert_rules"),
    path("alerts/rules/seed/", alert_rules_seed, name="alert_rules_seed"),
    path("alerts/rules/<int:pk>/", alert_rule_edit, name="alert_rule_edit"),
]
