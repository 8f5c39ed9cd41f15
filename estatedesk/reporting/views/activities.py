"""Pages of community and company cultural activities (R-CS-3): the list (every staff member; each sees
their projects' activities), planning one, the activity with its record form, cancelling, and its photos
(served here, to those who may see the activity, never from a public media address). Thin: a form in,
reporting/activities.py, a page or a redirect out."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.common.pagination import CappedPaginator
from estatedesk.common.widgets import FastSelect
from estatedesk.org import selectors as org_selectors
from estatedesk.org.models import Project
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.reporting import activities
from estatedesk.reporting.choices import ActivityKind, ActivityStatus
from estatedesk.reporting.models import CommunityActivity

PAGE_SIZE = 50
DATE = {"type": "date"}
ANY: list[tuple[Any, Any]] = [("", gettext_lazy("Any"))]


def _require_staff(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "reporting.view"):
        raise PermissionDenied


def _activity(request: HttpRequest, pk: int, *, for_write: bool = False) -> CommunityActivity:
    _require_staff(request)
    return activities.activity_get_for_user(user=request.user, pk=pk, for_write=for_write)


# --- forms ----------------------------------------------------------------------------------------------


class ActivityFilterForm(forms.Form):
    project = forms.ChoiceField(label=gettext_lazy("Project"), required=False, widget=FastSelect)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=ANY + ActivityStatus.choices, required=False, widget=FastSelect
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=ANY + ActivityKind.choices, required=False, widget=FastSelect
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=2000, max_value=2100)
    with_client = forms.BooleanField(label=gettext_lazy("With the contracting client only"), required=False)

    def __init__(self, *args: Any, projects: list[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["project"]).choices = ANY + [
            (p.code, f"{p.code} · {p.name}") for p in projects
        ]

    def filters(self) -> activities.ActivityFilters:
        """The valid filters (an invalid one, from an edited address, is dropped rather than refused)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return activities.ActivityFilters(
            project=data.get("project") or "",
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            year=data.get("year"),
            with_client=bool(data.get("with_client")),
        )


class ActivityPlanForm(forms.Form):
    project = forms.TypedChoiceField(label=gettext_lazy("Project"), coerce=int, widget=FastSelect)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=ActivityKind.choices, initial=ActivityKind.COMMUNITY
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    planned_on = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    with_client = forms.BooleanField(
        label=gettext_lazy("With the contracting client (the developer, the owners' committee, …)"),
        required=False,
    )
    expected_attendance = forms.IntegerField(
        label=gettext_lazy("Expected attendance"), min_value=0, required=False
    )
    plan = forms.CharField(
        label=gettext_lazy("Plan"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, projects: list[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.projects = {p.pk: p for p in projects}
        cast(forms.ChoiceField, self.fields["project"]).choices = [
            (p.pk, f"{p.code} · {p.name}") for p in projects
        ]
        if len(projects) == 1:
            self.fields["project"].initial = projects[0].pk
        self.fields["planned_on"].initial = activities.today()

    def clean_project(self) -> Project:
        project = self.projects.get(self.cleaned_data["project"])
        if project is None:
            raise forms.ValidationError(_("Choose one of the projects listed."))
        return project

    def plan_input(self) -> activities.ActivityPlan:
        data = self.cleaned_data
        return activities.ActivityPlan(
            project=data["project"],
            kind=data["kind"],
            title=data["title"],
            planned_on=data["planned_on"],
            place=data["place"],
            with_client=data["with_client"],
            expected_attendance=data["expected_attendance"],
            plan=data["plan"],
        )


class ActivityRecordForm(forms.Form):
    held_on = forms.DateField(
        label=gettext_lazy("Held on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )
    attendance = forms.IntegerField(label=gettext_lazy("Attendance"), min_value=0)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    follow_up = forms.CharField(
        label=gettext_lazy("Follow-up"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def record(self) -> activities.ActivityRecord:
        data = self.cleaned_data
        return activities.ActivityRecord(
            held_on=data["held_on"],
            attendance=data["attendance"],
            place=data["place"],
            follow_up=data["follow_up"],
        )


class ActivityCancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for cancelling"), max_length=200, required=False)


def _record_form(activity: CommunityActivity, data: Any = None) -> ActivityRecordForm:
    initial = {
        "held_on": min(activity.planned_on, activities.today()),
        "attendance": activity.attendance,
        "place": activity.place,
        "follow_up": activity.follow_up,
    }
    return ActivityRecordForm(data, initial=initial)


# --- pages ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    user = request.user
    form = ActivityFilterForm(request.GET, projects=org_selectors.filter_projects(user=user))
    page = CappedPaginator(activities.activity_list(user=user, filters=form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    is_filtered = any(value for name, value in request.GET.items() if name != "page")
    return render(
        request,
        "reporting/activity_list.html",
        {
            "form": form,
            "page": page,
            "is_filtered": is_filtered,
            "can_plan": activities.user_may_plan(user),
        },
    )


@login_required
def activity_new(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    projects = activities.activity_projects(user=request.user)
    if not projects:
        raise PermissionDenied
    form = ActivityPlanForm(request.POST or None, projects=projects)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            activity = activities.activity_plan(actor=request.user, plan=form.plan_input())
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The activity is planned."))
            return redirect("reporting:activity_detail", pk=activity.pk)
    return render(request, "reporting/activity_new.html", {"form": form}, status=status)


def _render_activity(
    request: HttpRequest,
    activity: CommunityActivity,
    *,
    record_form: ActivityRecordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_write = can(request.user, activities.CAPABILITY, project=activity.project)
    open_for_record = may_write and activity.status != ActivityStatus.CANCELLED
    if record_form is None and open_for_record:
        record_form = _record_form(activity)
    return render(
        request,
        "reporting/activity_detail.html",
        {
            "activity": activity,
            "photos": activities.activity_photos(activity=activity),
            "may_write": may_write,
            "record_form": record_form if open_for_record else None,
            "cancel_form": ActivityCancelForm()
            if may_write and activity.status == ActivityStatus.PLANNED
            else None,
            "max_photos": activities.MAX_PHOTOS,
        },
        status=status,
    )


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_activity(request, _activity(request, pk))


@login_required
@require_POST
def activity_record(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk, for_write=True)
    form = _record_form(activity, request.POST)
    status = 400
    if form.is_valid():
        try:
            activities.activity_record(actor=request.user, activity=activity, record=form.record())
        except DomainError as error:
            if error.status == 409:
                messages.error(request, error.message)
                return redirect("reporting:activity_detail", pk=activity.pk)
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The activity is recorded."))
            return redirect("reporting:activity_detail", pk=activity.pk)
    return _render_activity(request, activity, record_form=form, status=status)


@login_required
@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk, for_write=True)
    form = ActivityCancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        activities.activity_cancel(actor=request.user, activity=activity, reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The activity is cancelled."))
    return redirect("reporting:activity_detail", pk=activity.pk)


@login_required
@require_POST
def activity_photos_add(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk, for_write=True)
    try:
        added = activities.activity_photos_add(
            actor=request.user,
            activity=activity,
            photos=request.FILES.getlist("photos"),
            caption=request.POST.get("caption", ""),
        )
    except DomainError as error:
        for problems in error.fields.values():
            for problem in problems:
                messages.error(request, problem)
        if not error.fields:
            messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)d photo(s) added.") % {"count": len(added)})
    return redirect("reporting:activity_detail", pk=activity.pk)


@login_required
@require_POST
def activity_photo_remove(request: HttpRequest, pk: int, photo: int) -> HttpResponse:
    activity = _activity(request, pk, for_write=True)
    found = activities.activity_photo_get(activity=activity, pk=photo)
    if found is None:
        raise Http404
    activities.activity_photo_remove(actor=request.user, photo=found)
    messages.success(request, _("The photo is removed."))
    return redirect("reporting:activity_detail", pk=activity.pk)


def _serve(stored: FieldFile, content_type: str) -> FileResponse:
    if not stored or not stored.name:
        raise Http404
    try:
        handle = stored.open("rb")
    except OSError as error:  # gone from storage
        raise Http404 from error
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def activity_photo(request: HttpRequest, pk: int, photo: int) -> HttpResponseBase:
    """A photo of the activity, for whoever may see the activity."""
    found = activities.activity_photo_get(activity=_activity(request, pk), pk=photo)
    if found is None:
        raise Http404
    return _serve(found.image, activities.photo_content_type(found.image.name or ""))


@login_required
@require_GET
def activity_photo_thumbnail(request: HttpRequest, pk: int, photo: int) -> HttpResponseBase:
    """A photo's thumbnail (the photo itself when it has none), for whoever may see the activity."""
    found = activities.activity_photo_get(activity=_activity(request, pk), pk=photo)
    if found is None:
        raise Http404
    if found.thumbnail:
        return _serve(found.thumbnail, "image/jpeg")
    return _serve(found.image, activities.photo_content_type(found.image.name or ""))


urlpatterns: list[URLPattern] = [
    path("activities/", activity_list, name="activity_list"),
    path("activities/new/", activity_new, name="activity_new"),
    path("activities/<int:pk>/", activity_detail, name="activity_detail"),
    path("activities/<int:pk>/record/", activity_record, name="activity_record"),
    path("activities/<int:pk>/cancel/", activity_cancel, name="activity_cancel"),
    path("activities/<int:pk>/photos/", activity_photos_add, name="activity_photos"),
    path("activities/<int:pk>/photos/<int:photo>/", activity_photo, name="activity_photo"),
    path(
        "activities/<int:pk>/photos/<int:photo>/thumbnail/",
        activity_photo_thumbnail,
        name="activity_photo_thumbnail",
    ),
    path(
        "activities/<int:pk>/photos/<int:photo>/remove/", activity_photo_remove, name="activity_photo_remove"
    ),
]
