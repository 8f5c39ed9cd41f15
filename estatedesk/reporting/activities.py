"""Community and company cultural activities of a project (R-CS-3): a simple event record. The CS
supervisor or the project manager (`reporting.activities` at the project) plans one (what, when, where,
with the contracting client or not, how many are expected), records it as held (the day, the attendance,
the follow-up) or cancels it, and adds photos.

Photos are images Pillow can read (the content decides), at most 10 MB each, stored through the storage
API under random names with a thumbnail beside them, and served only through the pages' views to those
who may see the activity (its project's staff, and company-wide roles).

Services write (keyword-only, `actor`, atomic, audited); selectors read from
`CommunityActivity.objects.visible_to(user)`: anyone outside the project gets 404.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.common.text import multi_line, one_line
from estatedesk.feedback.photos import MAX_PHOTO_BYTES, PHOTO_FORMATS, image_format_of
from estatedesk.org.models import Project
from estatedesk.org.permissions import can, projects_with, require
from estatedesk.reporting.choices import ActivityKind, ActivityStatus
from estatedesk.reporting.models import ActivityPhoto, CommunityActivity

CAPABILITY = "reporting.activities"
MAX_PHOTOS_PER_UPLOAD = 10
MAX_PHOTOS = 30  # per activity
THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_QUALITY = 80
CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif"}
PLAN_FIELDS = [
    "project_id",
    "kind",
    "title",
    "plan",
    "with_client",
    "planned_on",
    "place",
    "expected_attendance",
    "status",
]
RECORD_FIELDS = ["status", "planned_on", "place", "attendance", "follow_up"]


@dataclass(frozen=True)
class ActivityPlan:
    """An activity to plan at a project."""

    project: Project
    title: str
    planned_on: date
    kind: str = ActivityKind.COMMUNITY
    plan: str = ""
    place: str = ""
    with_client: bool = False  # with the contracting client (the developer, the owners' committee, …)
    expected_attendance: int | None = None


@dataclass(frozen=True)
class ActivityRecord:
    """How the activity went: the day it was held, the attendance, the follow-up; an empty place keeps the
    planned one."""

    held_on: date
    attendance: int
    follow_up: str = ""
    place: str = ""


def today() -> date:
    return timezone.localdate()


def _invalid(fields: dict[str, list[Any]]) -> DomainError:
    return DomainError("reporting.activity_invalid", _("Some fields are not valid."), fields=fields)


def _locked(activity: CommunityActivity) -> CommunityActivity:
    return (
        CommunityActivity.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=activity.pk)
    )


def _audit(actor: Any, activity: CommunityActivity, action: str, **changes: Any) -> None:
    audit_record(actor=actor, action=action, obj=activity, project_id=activity.project_id, **changes)


# --- services -------------------------------------------------------------------------------------------


@transaction.atomic
def activity_plan(*, actor: Any, plan: ActivityPlan) -> CommunityActivity:
    """Plan an activity at the project (reporting.activities there)."""
    require(actor, CAPABILITY, project=plan.project)
    fields: dict[str, list[Any]] = {}
    title = one_line(plan.title)[:200]
    if not title:
        fields["title"] = [_("This field is required.")]
    if plan.kind not in ActivityKind.values:
        fields["kind"] = [_("Unknown value.")]
    if plan.expected_attendance is not None and plan.expected_attendance < 0:
        fields["expected_attendance"] = [_("Give a number of people, 0 or more.")]
    if fields:
        raise _invalid(fields)
    activity = CommunityActivity.objects.create(
        project=plan.project,
        kind=plan.kind,
        title=title,
        plan=multi_line(plan.plan).strip(),
        with_client=plan.with_client,
        planned_on=plan.planned_on,
        place=one_line(plan.place)[:200],
        expected_attendance=plan.expected_attendance,
        created_by=actor,
    )
    _audit(actor, activity, "create", after=model_changes(activity, PLAN_FIELDS))
    return activity


@transaction.atomic
def activity_record(*, actor: Any, activity: CommunityActivity, record: ActivityRecord) -> CommunityActivity:
    """Record the activity as held (or correct the record): the day, the attendance, the follow-up. A
    cancelled activity is not recorded; nothing is held in the future."""
    require(actor, CAPABILITY, project=activity.project)
    current = _locked(activity)
    if current.status == ActivityStatus.CANCELLED:
        raise DomainError("reporting.activity_cancelled", _("This activity was cancelled."), status=409)
    fields: dict[str, list[Any]] = {}
    if record.held_on > today():
        fields["held_on"] = [_("An activity cannot be recorded before it is held.")]
    if record.attendance < 0:
        fields["attendance"] = [_("Give a number of people, 0 or more.")]
    if fields:
        raise _invalid(fields)
    before = model_changes(current, RECORD_FIELDS)
    current.status = ActivityStatus.HELD
    current.planned_on = record.held_on
    current.attendance = record.attendance
    current.follow_up = multi_line(record.follow_up).strip()
    if one_line(record.place):
        current.place = one_line(record.place)[:200]
    current.save()
    _audit(actor, current, "update", before=before, after=model_changes(current, RECORD_FIELDS))
    return current


@transaction.atomic
def activity_cancel(*, actor: Any, activity: CommunityActivity, reason: str = "") -> CommunityActivity:
    """Cancel a planned activity, with the reason shown on its page (and kept in the audit trail)."""
    require(actor, CAPABILITY, project=activity.project)
    current = _locked(activity)
    if current.status != ActivityStatus.PLANNED:
        raise DomainError(
            "reporting.activity_not_planned",
            _("This activity is no longer planned: it was held or cancelled."),
            status=409,
        )
    current.status = ActivityStatus.CANCELLED
    current.cancelled_reason = one_line(reason)[:200]
    current.save(update_fields=["status", "cancelled_reason", "updated_at"])
    _audit(
        actor,
        current,
        "update",
        before={"status": ActivityStatus.PLANNED, "reason": ""},
        after={"status": current.status, "reason": one_line(reason)[:200]},
    )
    return current


def _thumbnail(upload: UploadedFile) -> bytes | None:
    """A JPEG of at most 320 px a side, turned upright from its EXIF orientation; None when it cannot be
    made."""
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image.draft("RGB", THUMBNAIL_SIZE)
                picture = ImageOps.exif_transpose(image).convert("RGB")
        picture.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
    ):
        return None
    finally:
        upload.seek(0)
    return buffer.getvalue()


def _check_photos(activity: CommunityActivity, photos: list[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    problems: list[Any] = []
    room = MAX_PHOTOS - activity.photos.count()
    if not photos:
        problems.append(_("Choose the photos to add."))
    if len(photos) > min(MAX_PHOTOS_PER_UPLOAD, room):
        problems.append(
            _("Add at most %(count)s photos (%(most)s per activity).")
            % {"count": max(min(MAX_PHOTOS_PER_UPLOAD, room), 0), "most": MAX_PHOTOS}
        )
    checked = []
    for upload in photos[:MAX_PHOTOS_PER_UPLOAD]:
        name = upload.name or ""
        if (upload.size or 0) > MAX_PHOTO_BYTES:
            problems.append(
                _("%(name)s is larger than %(size)s MB.")
                % {"name": name, "size": MAX_PHOTO_BYTES // (1024 * 1024)}
            )
            continue
        image_format = image_format_of(upload)
        if image_format not in PHOTO_FORMATS:
            problems.append(_("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name})
            continue
        checked.append((upload, PHOTO_FORMATS[image_format]))
    if problems:
        raise DomainError(
            "reporting.activity_photos_invalid", _("Some photos cannot be used."), fields={"photos": problems}
        )
    return checked


@transaction.atomic
def activity_photos_add(
    *, actor: Any, activity: CommunityActivity, photos: list[UploadedFile], caption: str = ""
) -> list[ActivityPhoto]:
    """Add photos to an activity that is not cancelled, each stored under a random name with its
    thumbnail."""
    require(actor, CAPABILITY, project=activity.project)
    current = _locked(activity)
    if current.status == ActivityStatus.CANCELLED:
        raise DomainError("reporting.activity_cancelled", _("This activity was cancelled."), status=409)
    added = []
    for upload, extension in _check_photos(current, photos):
        stem = uuid.uuid4().hex
        photo = ActivityPhoto(activity=current, caption=one_line(caption)[:200], uploaded_by=actor)
        thumbnail = _thumbnail(upload)
        photo.image.save(f"{stem}{extension}", upload, save=False)
        if thumbnail is not None:
            photo.thumbnail.save(f"{stem}.thumb.jpg", ContentFile(thumbnail), save=False)
        photo.save()
        added.append(photo)
    _audit(actor, current, "update", after={"photos_added": len(added)})
    return added


@transaction.atomic
def activity_photo_remove(*, actor: Any, photo: ActivityPhoto) -> None:
    """Remove a photo (and its files) from an activity."""
    activity = photo.activity
    require(actor, CAPABILITY, project=activity.project)
    names = [name for name in (photo.image.name, photo.thumbnail.name) if name]
    storage = photo.image.storage
    _audit(actor, activity, "update", after={"photo_removed": photo.image.name})
    photo.delete()

    def delete_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files)


# --- selectors ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityFilters:
    project: str = ""  # project code
    status: str = ""
    kind: str = ""
    year: int | None = None
    with_client: bool = False


def activity_list(*, user: Any, filters: ActivityFilters | None = None) -> QuerySet[CommunityActivity]:
    """The activities the user may see (their projects'; every one for company-wide roles), latest
    first, each with its number of photos."""
    filters = filters or ActivityFilters()
    rows = CommunityActivity.objects.visible_to(user).select_related("project")
    if filters.project:
        rows = rows.filter(project__code=filters.project)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.year:
        rows = rows.filter(planned_on__year=filters.year)
    if filters.with_client:
        rows = rows.filter(with_client=True)
    return rows.annotate(photo_count=Count("photos")).order_by("-planned_on", "-id")


def activity_get_for_user(*, user: Any, pk: Any, for_write: bool = False) -> CommunityActivity:
    """The activity, or 404 when missing or outside the user's projects; `for_write`: also 403 unless they
    hold reporting.activities at its project."""
    activity = get_for_user_or_404(
        CommunityActivity.objects.select_related("project__branch", "created_by"), user=user, pk=pk
    )
    if for_write and not can(user, CAPABILITY, project=activity.project):
        raise PermissionDenied(CAPABILITY)
    return activity


def activity_photos(*, activity: CommunityActivity) -> list[ActivityPhoto]:
    return list(activity.photos.select_related("uploaded_by").order_by("uploaded_at", "id"))


def activity_photo_get(*, activity: CommunityActivity, pk: Any) -> ActivityPhoto | None:
    try:
        return activity.photos.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def photo_content_type(name: str) -> str:
    """The content type of a stored photo, from the extension the check gave it."""
    return CONTENT_TYPES.get("." + name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def activity_projects(*, user: Any) -> list[Project]:
    """Active projects where the user may plan activities."""
    allowed = projects_with(user, CAPABILITY)
    rows = Project.objects.visible_to(user).filter(is_active=True).select_related("branch")
    if allowed is not None:
        rows = rows.filter(id__in=sorted(allowed))
    return list(rows.order_by("code"))


def user_may_plan(user: Any) -> bool:
    allowed = projects_with(user, CAPABILITY)
    return allowed is None or bool(allowed)
