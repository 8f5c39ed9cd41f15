"""HQ's noticeboard and formal documents (R-IR-6; the seed's 信息情报传递渠道).

- **Department pages** (物业管理部信息网页): every department of HQ (a company-level department) keeps its own
  pages. The members of a department (active memberships naming it, `Membership.department`) write its
  pages, and HQ's property management department (the HQ_PROPERTY role, company-wide) writes any page.
  Every staff member of the company reads the published pages; a draft only its writers.
- **Formal documents received** (正式文件和重要信息): HQ's document administrator (`reporting.documents`,
  company-wide) registers a document a branch, a project or someone outside sent, and forwards it to the
  leaders (LEADER, GENERAL_MANAGER) or departments concerned: one `DocumentDelivery` per person (a
  department is its members), with who forwarded it and when. Forwarding again adds only the people who
  do not have it yet.
- **Documents to projects** (下行): HQ sends a document to the chosen projects; each project's manager and
  document administrator (project-level memberships) get it. A project with neither is refused by name.
- **Read receipts**: a recipient's first opening (the page, the API or the file) records `read_at`; later
  openings, and anyone else's, change nothing (a conditional UPDATE).
- **Reminders**: `delivery_reminders_send` (a daily job, tasks.py) reminds each recipient who has not opened a
  document forwarded at least `REMINDER_AFTER` ago, at most once per company day (claimed with a
  conditional UPDATE on `reminded_at`, so a second run or a second worker sends nothing again).

Who sees a document: its recipients, and whoever holds `reporting.documents` company-wide (HQ's document
administrator and HQ's property management department). Anyone else, a company-wide leader included, gets
404: the model's scope gives company-wide roles every document, and the selectors here narrow it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import get_for_user_or_404, scope_for
from estatedesk.common.text import filename_safe, multi_line, one_line
from estatedesk.notifications.services import notifications_mark_read, notify
from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Branch, Company, Department, Membership, Project
from estatedesk.org.permissions import can
from estatedesk.reporting.choices import DocumentDirection
from estatedesk.reporting.models import Document, DocumentDelivery, NoticePage, ReportingRules

DOCUMENTS = "reporting.documents"
# who writes every department's page: HQ's property management department (R-IR-6: "物业管理部负责…维护")
EVERY_PAGE_WRITER = Role.HQ_PROPERTY
LEADER_ROLES = frozenset({Role.LEADER, Role.GENERAL_MANAGER})  # 公司相关领导
PROJECT_RECIPIENT_ROLES = frozenset({Role.PROJECT_MANAGER, Role.DOC_ADMIN})  # 项目部经理或文件管理员
# an unread document is first reminded this long after it was forwarded (then once per company day); to
# become ReportingRules data (a request to the lead), like the reporting deadlines
REMINDER_AFTER = timedelta(days=1)  # when the company has no ReportingRules row
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
LATEST_PER_DEPARTMENT = 5
PAGE_FIELDS = ["department_id", "title", "body", "is_published", "published_at"]
DOCUMENT_FIELDS = [
    "direction",
    "title",
    "summary",
    "sender",
    "from_branch_id",
    "from_project_id",
    "received_at",
]


# --- department pages -----------------------------------------------------------------------------------


def _board_departments(user: Any) -> QuerySet[Department]:
    """HQ's departments (company-level) of the user's company: the noticeboard's sections."""
    return Department.objects.visible_to(user).filter(branch__isnull=True, project__isnull=True)


def writes_every_page(user: Any) -> bool:
    return EVERY_PAGE_WRITER in scope_for(user).roles_global


def notice_writable_department_ids(*, user: Any) -> frozenset[int]:
    """The departments whose pages the user writes: their own departments (an active membership naming
    it); every HQ department for HQ's property management department."""
    if not scope_for(user).is_staff_member:
        return frozenset()
    departments = _board_departments(user)
    if not writes_every_page(user):
        departments = departments.filter(
            memberships__user=user, memberships__is_active=True, memberships__user__is_active=True
        )
    return frozenset(departments.values_list("id", flat=True))


def notice_may_write(*, user: Any, department: Department) -> bool:
    return department.pk in notice_writable_department_ids(user=user)


def _pages(user: Any) -> QuerySet[NoticePage]:
    """The pages the user reads: published ones of HQ's departments, and the drafts they write."""
    writable = notice_writable_department_ids(user=user)
    return (
        NoticePage.objects.visible_to(user)
        .filter(department__branch__isnull=True, department__project__isnull=True)
        .filter(Q(is_published=True) | Q(department_id__in=sorted(writable)))
    )


@dataclass
class DepartmentBoard:
    department: Department
    pages: list[NoticePage] = field(default_factory=list)
    published: int = 0
    may_write: bool = False


def noticeboard_sections(*, user: Any) -> list[DepartmentBoard]:
    """Each HQ department with its number of published pages and its latest pages (drafts included for
    its writers). Four queries however many departments and pages."""
    writable = notice_writable_department_ids(user=user)
    boards = {
        department.pk: DepartmentBoard(department=department, may_write=department.pk in writable)
        for department in _board_departments(user).order_by("kind", "name")
    }
    counts = (
        NoticePage.objects.filter(department_id__in=list(boards), is_published=True)
        .values_list("department_id")
        .annotate(published=Count("id"))
    )
    for department_id, published in counts:
        boards[department_id].published = published
    recent = _pages(user).filter(department_id__in=list(boards)).select_related("author")
    latest = recent.order_by(F("published_at").desc(nulls_first=True), "-id")[: 40 * max(len(boards), 1)]
    for page in latest:
        board = boards[page.department_id]
        if len(board.pages) < LATEST_PER_DEPARTMENT:
            board.pages.append(page)
    return list(boards.values())


def notice_department_get_for_user(*, user: Any, pk: Any) -> Department:
    """An HQ department of the noticeboard, or 404."""
    return get_for_user_or_404(_board_departments(user), user=user, pk=pk)


def notice_page_list(*, user: Any, department: Department) -> QuerySet[NoticePage]:
    return (
        _pages(user)
        .filter(department=department)
        .select_related("author", "department")
        .order_by(F("published_at").desc(nulls_first=True), "-id")
    )


def notice_page_get_for_user(*, user: Any, pk: Any, for_write: bool = False) -> NoticePage:
    """A page the user may read, or 404 (a draft is a page only its writers know); `for_write`: also 403
    unless they write its department's pages."""
    page = get_for_user_or_404(_pages(user).select_related("department", "author"), user=user, pk=pk)
    if for_write and not notice_may_write(user=user, department=page.department):
        raise PermissionDenied("reporting.noticeboard")
    return page


@dataclass(frozen=True)
class NoticeInput:
    title: str
    body: str
    is_published: bool = False


def _check_notice(data: NoticeInput) -> tuple[str, str]:
    title, body = one_line(data.title)[:200], multi_line(data.body).strip()
    fields: dict[str, list[Any]] = {}
    if not title:
        fields["title"] = [_("This field is required.")]
    if not body:
        fields["body"] = [_("This field is required.")]
    if fields:
        raise DomainError("reporting.notice_invalid", _("Some fields are not valid."), fields=fields)
    return title, body


@transaction.atomic
def notice_page_create(*, actor: Any, department: Department, data: NoticeInput) -> NoticePage:
    """A new page of the department (its members, or HQ's property management department)."""
    if not notice_may_write(user=actor, department=department):
        raise PermissionDenied("reporting.noticeboard")
    title, body = _check_notice(data)
    page = NoticePage.objects.create(
        department=department,
        title=title,
        body=body,
        is_published=data.is_published,
        published_at=timezone.now() if data.is_published else None,
        author=actor,
    )
    audit_record(actor=actor, action="create", obj=page, after=model_changes(page, PAGE_FIELDS))
    return page


@transaction.atomic
def notice_page_update(*, actor: Any, page: NoticePage, data: NoticeInput) -> NoticePage:
    """Edit a page; publishing it the first time dates it, withdrawing it makes it a draft again."""
    current = NoticePage.objects.select_for_update(of=("self",)).select_related("department").get(pk=page.pk)
    if not notice_may_write(user=actor, department=current.department):
        raise PermissionDenied("reporting.noticeboard")
    title, body = _check_notice(data)
    before = model_changes(current, PAGE_FIELDS)
    if data.is_published and not current.is_published:
        current.published_at = timezone.now()
    current.title, current.body, current.is_published = title, body, data.is_published
    current.save()
    audit_record(
        actor=actor, action="update", obj=current, before=before, after=model_changes(current, PAGE_FIELDS)
    )
    return current


# --- documents: who sees them ---------------------------------------------------------------------------


def keeps_documents(user: Any) -> bool:
    """HQ's document administrator (or HQ's property management department): registers, forwards, sends
    and sees every document of the company."""
    return can(user, DOCUMENTS)


def _documents(user: Any) -> QuerySet[Document]:
    rows = Document.objects.visible_to(user)
    if not keeps_documents(user):
        rows = rows.filter(deliveries__user=user)
    return rows


def document_get_for_user(*, user: Any, pk: Any) -> Document:
    """A document the user was forwarded (or keeps), or 404 whether it is missing or not theirs."""
    return get_for_user_or_404(
        _documents(user).select_related("registered_by", "from_branch", "from_project"), user=user, pk=pk
    )


def document_inbox(*, user: Any) -> QuerySet[DocumentDelivery]:
    """What was forwarded to the user, unread first, newest first."""
    return (
        DocumentDelivery.objects.filter(user=user, document__in=_documents(user))
        .select_related("document", "forwarded_by")
        .order_by(F("read_at").asc(nulls_first=True), "-forwarded_at", "-id")
    )


def document_registered(*, user: Any, direction: str = "") -> QuerySet[Document]:
    """Every document of the company, for those who keep them, with its counts of recipients and of
    readers (SQL aggregation); nobody else has any."""
    if not keeps_documents(user):
        return Document.objects.none()
    rows = Document.objects.visible_to(user)
    if direction:
        rows = rows.filter(direction=direction)
    return (
        rows.select_related("registered_by")
        .annotate(
            recipients=Count("deliveries"),
            readers=Count("deliveries", filter=Q(deliveries__read_at__isnull=False)),
        )
        .order_by("-received_at", "-id")
    )


def document_list_for_api(*, user: Any, unread_only: bool = False) -> QuerySet[Document]:
    """The documents the user sees, newest first, each with the user's own forwarding and reading time
    (`my_forwarded_at`, `my_read_at`: None when it was not forwarded to them) and, for those who keep
    the documents, how many recipients it has and how many read it. A bounded number of queries."""
    mine = DocumentDelivery.objects.filter(document=OuterRef("pk"), user=user)
    rows = _documents(user).annotate(
        my_forwarded_at=Subquery(mine.values("forwarded_at")[:1]),
        my_read_at=Subquery(mine.values("read_at")[:1]),
        recipients=Count("deliveries", distinct=True),
        readers=Count("deliveries", filter=Q(deliveries__read_at__isnull=False), distinct=True),
    )
    if unread_only:
        unread = DocumentDelivery.objects.filter(user=user, read_at__isnull=True).values("document_id")
        rows = rows.filter(pk__in=unread)
    return rows.order_by("-received_at", "-id")


def document_unread_count(*, user: Any) -> int:
    """How many forwarded documents the user has not opened yet (for a menu badge or a work queue)."""
    return DocumentDelivery.objects.filter(user=user, read_at__isnull=True).count()


def document_delivery_for(*, user: Any, document: Document) -> DocumentDelivery | None:
    return (
        DocumentDelivery.objects.filter(document=document, user=user)
        .select_related("forwarded_by", "department")
        .first()
    )


@dataclass(frozen=True)
class DeliveryRow:
    delivery: DocumentDelivery
    via: str  # the department it was forwarded through, or the recipient's projects (documents to projects)


def document_deliveries(*, document: Document) -> list[DeliveryRow]:
    """Who got the document, when and from whom, and when each first opened it (two queries)."""
    deliveries = list(
        document.deliveries.select_related("user", "forwarded_by", "department").order_by(
            "forwarded_at", "id"
        )
    )
    projects: dict[int, list[str]] = defaultdict(list)
    if document.direction == DocumentDirection.OUTBOUND:
        for user_id, name in (
            Membership.objects.filter(
                user_id__in=[d.user_id for d in deliveries],
                role__in=PROJECT_RECIPIENT_ROLES,
                project__isnull=False,
                is_active=True,
            )
            .order_by("project__code")
            .values_list("user_id", "project__name")
        ):
            if name not in projects[user_id]:
                projects[user_id].append(name)
    return [
        DeliveryRow(
            delivery=d, via=d.department.name if d.department else " · ".join(projects.get(d.user_id, []))
        )
        for d in deliveries
    ]


# --- documents: the pickers of the forms ----------------------------------------------------------------


def document_company(*, user: Any) -> Company | None:
    """The company whose documents the user keeps (None: they keep none)."""
    if not keeps_documents(user):
        return None
    return Company.objects.visible_to(user).order_by("id").first()


def document_leaders(*, company: Company) -> list[Any]:
    """The company's leaders (company-wide LEADER or GENERAL_MANAGER), active."""
    user_ids = Membership.objects.filter(
        company=company, level=ScopeLevel.COMPANY, role__in=LEADER_ROLES, is_active=True
    ).values("user_id")
    return list(
        get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("display_name", "username")
    )


def document_departments(*, company: Company) -> QuerySet[Department]:
    """HQ's departments, each with its number of active members."""
    return (
        Department.objects.filter(company=company, branch__isnull=True, project__isnull=True)
        .annotate(
            members=Count(
                "memberships__user",
                filter=Q(memberships__is_active=True, memberships__user__is_active=True),
                distinct=True,
            )
        )
        .order_by("kind", "name")
    )


def document_projects(*, company: Company) -> QuerySet[Project]:
    return Project.objects.filter(branch__company=company, is_active=True).select_related("branch")


def document_branches(*, company: Company) -> QuerySet[Branch]:
    return Branch.objects.filter(company=company)


# --- documents: registering, forwarding, sending ---------------------------------------------------------


@dataclass(frozen=True)
class DocumentInput:
    """A formal document or an important piece of information; `received_at` defaults to now."""

    title: str
    summary: str = ""
    sender: str = ""
    from_branch: Branch | None = None
    from_project: Project | None = None
    received_at: datetime | None = None
    file: UploadedFile | None = None


@dataclass(frozen=True)
class Recipients:
    """People to forward a document to: chosen people (leaders) and departments (their members)."""

    users: Sequence[Any] = ()
    departments: Sequence[Department] = ()
    note: str = ""


def _invalid(fields: dict[str, list[Any]]) -> DomainError:
    return DomainError("reporting.document_invalid", _("Some fields are not valid."), fields=fields)


def _require_keeper(actor: Any, company: Company) -> None:
    if not keeps_documents(actor) or company.pk not in scope_for(actor).company_ids:
        raise PermissionDenied(DOCUMENTS)


def _check_document(company: Company, data: DocumentInput) -> dict[str, Any]:
    fields: dict[str, list[Any]] = {}
    title = one_line(data.title)[:200]
    if not title:
        fields["title"] = [_("This field is required.")]
    if data.from_branch is not None and data.from_branch.company_id != company.pk:
        fields["from_branch"] = [_("Choose one of the branches listed.")]
    project = data.from_project
    if project is not None and project.branch.company_id != company.pk:
        fields["from_project"] = [_("Choose one of the projects listed.")]
    elif project is not None and data.from_branch is not None and project.branch_id != data.from_branch.pk:
        fields["from_project"] = [_("This project belongs to another branch.")]
    now = timezone.now()
    if data.received_at is not None and data.received_at > now:
        fields["received_at"] = [_("A document cannot be received in the future.")]
    if data.file is not None and (data.file.size or 0) > MAX_DOCUMENT_BYTES:
        fields["file"] = [
            _("The file is larger than %(size)s MB.") % {"size": MAX_DOCUMENT_BYTES // (1024 * 1024)}
        ]
    if fields:
        raise _invalid(fields)
    return {
        "title": title,
        "summary": multi_line(data.summary).strip(),
        "sender": one_line(data.sender)[:200],
        "from_branch": data.from_branch or (project.branch if project is not None else None),
        "from_project": project,
        "received_at": data.received_at or now,
    }


def _create_document(*, actor: Any, company: Company, direction: str, data: DocumentInput) -> Document:
    values = _check_document(company, data)
    document = Document(company=company, direction=direction, registered_by=actor, **values)
    if data.file is not None:
        # under a random folder, so the path is never guessable; the file keeps its (made safe) name
        name = filename_safe(data.file.name or "", fallback="document")[-60:]
        document.file.save(f"{uuid.uuid4().hex[:20]}/{name}", data.file, save=False)
    document.save()
    audit_record(actor=actor, action="create", obj=document, after=model_changes(document, DOCUMENT_FIELDS))
    return document


def document_url(document: Document) -> str:
    return reverse("reporting:document_detail", args=[document.pk])


def _staff_of(company: Company, users: Iterable[Any]) -> tuple[list[Any], list[str]]:
    """The users who are active staff of the company, and the names of those who are not."""
    chosen = {user.pk: user for user in users if user is not None}
    staff = set(
        Membership.objects.filter(
            company=company, user_id__in=list(chosen), is_active=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    return [u for pk, u in chosen.items() if pk in staff], [
        str(u) for pk, u in chosen.items() if pk not in staff
    ]


def _deliver(
    *, actor: Any, document: Document, people: list[tuple[Any, Department | None]], note: str
) -> list[DocumentDelivery]:
    """One delivery per person who does not have the document yet (the actor excepted), and tell them."""
    Document.objects.select_for_update(of=("self",)).filter(
        pk=document.pk
    ).first()  # one forwarding at a time
    has_it = set(document.deliveries.values_list("user_id", flat=True)) | {getattr(actor, "pk", None)}
    now = timezone.now()
    new: dict[int, DocumentDelivery] = {}
    for user, department in people:
        if user.pk in has_it or user.pk in new:
            continue
        new[user.pk] = DocumentDelivery(
            document=document,
            user=user,
            department=department,
            forwarded_by=actor,
            forwarded_at=now,
            note=one_line(note)[:300],
        )
    rows = DocumentDelivery.objects.bulk_create(list(new.values()))
    if rows:
        audit_record(
            actor=actor,
            action="update",
            obj=document,
            after={"forwarded_to": sorted(new)},
        )
        url = document_url(document)
        for delivery in rows:
            notify(
                users=[delivery.user],
                title=_("A document for you: %(title)s") % {"title": document.title},
                body="\n".join(part for part in (document.summary[:500], delivery.note) if part),
                url=url,
                group_key=url,
            )
    return rows


def _people(company: Company, recipients: Recipients) -> list[tuple[Any, Department | None]]:
    fields: dict[str, list[Any]] = {}
    users, strangers = _staff_of(company, recipients.users)
    if strangers:
        fields["users"] = [
            _("Not staff of the company: %(names)s.") % {"names": ", ".join(sorted(strangers))}
        ]
    people: list[tuple[Any, Department | None]] = [(user, None) for user in users]
    departments = {d.pk: d for d in recipients.departments}
    if any(d.company_id != company.pk for d in departments.values()):
        fields["departments"] = [_("Choose one of the departments listed.")]
    members = (
        Membership.objects.filter(department_id__in=list(departments), is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("department_id", "user_id")
    )
    found: set[int] = set()
    for membership in members:
        found.add(membership.department_id or 0)
        people.append((membership.user, departments[membership.department_id or 0]))
    empty = [d.name for pk, d in departments.items() if pk not in found]
    if empty and "departments" not in fields:
        fields["departments"] = [
            _("These departments have no members: %(names)s.") % {"names": ", ".join(sorted(empty))}
        ]
    if not people and not fields:
        fields["users"] = [_("Choose the leaders or departments to forward the document to.")]
    if fields:
        raise _invalid(fields)
    return people


@transaction.atomic
def document_register(
    *, actor: Any, company: Company, data: DocumentInput, recipients: Recipients | None = None
) -> Document:
    """HQ's document administrator registers a document received (from a branch, a project or outside)
    and, with `recipients`, forwards it at once."""
    _require_keeper(actor, company)
    people = _people(company, recipients) if recipients is not None else []
    document = _create_document(actor=actor, company=company, direction=DocumentDirection.INBOUND, data=data)
    if people:
        _deliver(actor=actor, document=document, people=people, note=recipients.note if recipients else "")
    return document


@transaction.atomic
def document_forward(*, actor: Any, document: Document, recipients: Recipients) -> list[DocumentDelivery]:
    """Forward a document to more leaders or departments; whoever has it already is not sent it again.
    The new deliveries (each with forwarded_by and forwarded_at)."""
    company = document.company
    _require_keeper(actor, company)
    return _deliver(actor=actor, document=document, people=_people(company, recipients), note=recipients.note)


def _project_recipients(projects: Sequence[Project]) -> list[tuple[Any, Department | None]]:
    memberships = (
        Membership.objects.filter(
            project__in=projects, role__in=PROJECT_RECIPIENT_ROLES, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("project_id", "role", "user_id")
    )
    people: list[tuple[Any, Department | None]] = []
    reached: set[int] = set()
    for membership in memberships:
        reached.add(membership.project_id or 0)
        people.append((membership.user, None))
    nobody = [p.name for p in projects if p.pk not in reached]
    if nobody:
        raise _invalid(
            {
                "projects": [
                    _("These projects have no project manager or document administrator: %(names)s.")
                    % {"names": ", ".join(sorted(nobody))}
                ]
            }
        )
    return people


@transaction.atomic
def document_send_to_projects(
    *, actor: Any, company: Company, data: DocumentInput, projects: Sequence[Project], note: str = ""
) -> Document:
    """HQ sends a formal document to projects: each chosen project's manager and document administrator
    get it (a delivery each, with the read receipt)."""
    _require_keeper(actor, company)
    if not projects:
        raise _invalid({"projects": [_("Choose the projects to send the document to.")]})
    if any(p.branch.company_id != company.pk for p in projects):
        raise _invalid({"projects": [_("Choose one of the projects listed.")]})
    people = _project_recipients(projects)
    document = _create_document(actor=actor, company=company, direction=DocumentDirection.OUTBOUND, data=data)
    _deliver(actor=actor, document=document, people=people, note=note)
    return document


# --- documents: reading and reminding ------------------------------------------------------------------


def document_open(*, user: Any, document: Document) -> bool:
    """The user opens the document: their delivery's first opening is recorded (once: a conditional
    UPDATE; nobody else's opening counts), and their notifications about it are read. True the first
    time."""
    opened = DocumentDelivery.objects.filter(document=document, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if opened:
        notifications_mark_read(user=user, group_key=document_url(document))
    return bool(opened)


def _day_start(now: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))


def _not_reminded_today(day_start: datetime) -> Q:
    return Q(reminded_at__isnull=True) | Q(reminded_at__lt=day_start)


def delivery_reminders_send(*, now: datetime | None = None) -> int:
    """Remind each recipient of each document they have not opened, forwarded at least REMINDER_AFTER
    ago, at most once per company day (each claimed with a conditional UPDATE: running twice, or on two
    workers, sends each reminder once). The number of reminders sent."""
    now = now or timezone.now()
    day_start = _day_start(now)
    # the delay is the company's (ReportingRules.document_reminder_hours; REMINDER_AFTER without rules)
    waits = dict(ReportingRules.objects.values_list("company_id", "document_reminder_hours"))
    shortest = min([timedelta(hours=hours) for hours in waits.values()] + [REMINDER_AFTER])
    due = (
        DocumentDelivery.objects.filter(
            read_at__isnull=True, forwarded_at__lte=now - shortest, user__is_active=True
        )
        .filter(_not_reminded_today(day_start))
        .select_related("document", "user")
        .order_by("id")
    )
    sent = 0
    for delivery in due.iterator(chunk_size=500):
        hours = waits.get(delivery.document.company_id)
        wait = REMINDER_AFTER if hours is None else timedelta(hours=hours)
        if delivery.forwarded_at > now - wait:
            continue
        sent += _remind(delivery, now=now, day_start=day_start)
    return sent


@transaction.atomic
def _remind(delivery: DocumentDelivery, *, now: datetime, day_start: datetime) -> int:
    claimed = (
        DocumentDelivery.objects.filter(pk=delivery.pk, read_at__isnull=True)
        .filter(_not_reminded_today(day_start))
        .update(reminded_at=now, reminders=F("reminders") + 1)
    )
    if not claimed:
        return 0
    document = delivery.document
    url = document_url(document)
    notify(
        users=[delivery.user],
        title=_("Not read yet: %(title)s (forwarded %(day)s)")
        % {"title": document.title, "day": f"{timezone.localtime(delivery.forwarded_at):%Y-%m-%d}"},
        body=document.summary[:500],
        url=url,
        group_key=url,
    )
    return 1
