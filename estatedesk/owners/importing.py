"""The owner-archive Excel import, database side (R-OA-2): check a workbook against the archive (a dry run
that stores the file, how it was read and its problems), then import it all at once, or nothing; or, as
the user's explicit and audited choice, its sound rows now and the rows with problems later (they are
downloaded with `owners.problem_rows`, corrected and uploaded as a file of their own). Whatever one commit
writes, it writes whole. Large files are checked and imported by the worker (`owners.import_runs`).

`spreadsheet.read_sheet` reads and validates each row on its own; here each row is checked against the
project (its buildings, the people already on file, the other rows of the file) and turned into a plan of
changes. The same planning runs for the dry run and again, in the import's transaction, before writing;
the write itself is a handful of bulk statements, whatever the number of rows.

How a row finds its person: the unit's current residents, by any of the row's mobile numbers (a landline
is often shared by a household, so it identifies nobody), then by name. A
person not on file is created, or, when a resident of the project has the same name and the same phone
(one person may hold several units), that resident gets the unit. Blank cells and masked values
("138****1234", the way exports show them) never erase what is on file; phones are only ever added. A
masked phone must be a number of the person on file; otherwise it is "not a phone number".
A new email for a resident with a portal account is their sign-in address: it is not written, but waits
for the account holder's confirmation (`email_change`), like any other change of that address.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, cast

from django.core.files import File
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from estatedesk.common.audit import audit_record, diff
from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.org.choices import BuildingKind
from estatedesk.org.models import Building, Project, Unit
from estatedesk.org.permissions import require
from estatedesk.owners import spreadsheet
from estatedesk.owners.choices import ContactPreference, ImportStatus, Relation
from estatedesk.owners.contacts import is_mobile, mask_id_number, name_initials, name_pinyin, phone_last4
from estatedesk.owners.email_change import email_change_request, needs_confirmation
from estatedesk.owners.models import ImportBatch, ImportColumnAlias, Occupancy, Resident, ResidentPhone
from estatedesk.owners.services import RESIDENT_FIELDS
from estatedesk.owners.spreadsheet import Problem, Row, Sheet, quoted

MAX_STORED_PROBLEMS = 1000
MAX_AUDITED_ROWS = 200  # the skipped row numbers an audit row lists (and their count, always)
BATCH_SIZE = 500
PROGRESS_EVERY = 1000

# (stage, done, total): stage is "reading", "checking" or "writing"; total 0 when unknown.
Progress = Callable[[str, int, int], None]

# Row value → resident field, for the fields a row may change.
RESIDENT_VALUES = {
    "name": "name",
    "email": "email",
    "id_type": "id_type",
    "id_number": "id_number",
    "language": "preferred_language",
    "contact_preference": "contact_preference",
    "notes": "notes",
}
UNIT_VALUES = {"unit_status": "status", "floor_area": "floor_area", "handover_on": "handover_on"}
OCCUPANCY_VALUES = {"relation": "relation", "moved_in_on": "started_on"}
UNIT_FIELDS = list(UNIT_VALUES.values())


def unit_floor(number: str) -> int:
    """The floor a unit number says: "501" → 5, "1203" → 12; 0 when the number does not say."""
    return int(number[:-2]) if number.isdigit() and len(number) >= 3 else 0


# --- the plan ------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Person:
    """A resident as the import sees them: on file or new, with phones and occupancies in this project."""

    resident: Resident
    phones: list[str]
    occupancies: dict[str, Occupancy]  # unit label → current occupancy in this project
    is_new: bool = False
    next_position: int = 0
    new_phones: list[str] = field(default_factory=list)
    fields_changed: bool = False
    before: dict[str, Any] | None = None  # the history values before the import touched them
    requested_email: str = ""  # a new sign-in address, waiting for the account holder (not written)


@dataclass
class _Plan:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "units_created": 0}
    )
    new_units: list[Unit] = field(default_factory=list)
    changed_units: dict[int, Unit] = field(default_factory=dict)
    new_persons: list[_Person] = field(default_factory=list)
    touched_persons: dict[int, _Person] = field(default_factory=dict)  # existing residents, by id
    new_occupancies: list[Occupancy] = field(default_factory=list)
    changed_occupancies: dict[int, Occupancy] = field(default_factory=dict)


def _history(person: _Person) -> dict[str, Any]:
    """What the audit trail keeps (as `services.resident_history_values`), plus the project's units."""
    resident = person.resident
    values: dict[str, Any] = {name: getattr(resident, name) for name in RESIDENT_FIELDS}
    values["id_number"] = mask_id_number(resident.id_number) if resident.id_number else ""
    values["phones"] = list(person.phones)
    values["units"] = sorted(
        " ".join(
            part
            for part in (label, occupancy.relation, occupancy.started_on and occupancy.started_on.isoformat())
            if part
        )
        for label, occupancy in person.occupancies.items()
    )
    return values


class _Archive:
    """The project's buildings, units and current residents, loaded once (a few queries, not one per row)."""

    def __init__(self, project: Project) -> None:
        self.buildings: dict[str, Building] = {}
        self.areas: dict[str, Building] = {}
        for building in Building.objects.filter(project=project).order_by("code"):
            target = self.buildings if building.kind == BuildingKind.BUILDING else self.areas
            for key in (building.code, building.code.upper(), building.name):
                target.setdefault(key, building)
        self.units: dict[str, Unit] = {unit.label: unit for unit in Unit.objects.filter(project=project)}
        units_by_id = {unit.pk: unit for unit in self.units.values()}
        occupancies = list(
            Occupancy.objects.filter(unit__project=project, ended_on__isnull=True).order_by("id")
        )
        living_here = Occupancy.objects.filter(unit__project=project, ended_on__isnull=True).values(
            "resident_id"
        )
        phones: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for resident_id, number, position in (
            ResidentPhone.objects.filter(resident_id__in=living_here)
            .order_by("resident_id", "position", "id")
            .values_list("resident_id", "number", "position")
        ):
            phones[resident_id].append((number, position))
        residents = Resident.objects.filter(id__in=living_here).order_by("id")
        self.people: dict[int, _Person] = {}
        for resident in residents:
            numbers = phones.get(resident.pk, [])
            self.people[resident.pk] = _Person(
                resident=resident,
                phones=[number for number, _position in numbers],
                occupancies={},
                next_position=max((position for _number, position in numbers), default=-1) + 1,
            )
        # unit label → the people living there, in the order they came to the archive
        self.unit_people: dict[str, list[_Person]] = defaultdict(list)
        for occupancy in occupancies:
            person = self.people[occupancy.resident_id]
            label = units_by_id[occupancy.unit_id].label
            person.occupancies[label] = occupancy
            self.unit_people[label].append(person)
        # (name, phone) → a person of the project: one person may hold several units
        self.by_name_phone: dict[tuple[str, str], _Person] = {}
        for person in self.people.values():
            self._index(person)

    def _index(self, person: _Person) -> None:
        for number in person.phones:
            self.by_name_phone.setdefault((person.resident.name, number), person)

    def building(self, code: str) -> Building | None:
        return self.buildings.get(code) or self.buildings.get(code.upper())


def _plan(*, project: Project, sheet: Sheet, progress: Progress | None = None) -> _Plan:
    """Check every row against the archive and work out the changes; nothing is written."""
    if not sheet.rows:
        return _Plan(problems=list(sheet.problems))  # a problem of the whole file: no rows to check
    planner = _Planner(project=project, sheet=sheet)
    total = len(sheet.rows)
    for index, row in enumerate(sheet.rows, start=1):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress("checking", index, total)
        planner.check(row)
    if progress is not None:
        progress("checking", total, total)
    plan = planner.plan
    plan.problems.sort(key=lambda problem: problem.row)
    return plan


class _Planner:
    """Checks a sheet's rows one after the other, against the archive and against the rows before."""

    def __init__(self, *, project: Project, sheet: Sheet) -> None:
        self.project = project
        self.headers = sheet.headers
        self.plan = _Plan(problems=list(sheet.problems))
        self.archive = _Archive(project)
        self.seen_phone: dict[tuple[str, str], int] = {}  # (unit label, mobile) → its first row
        self.seen_name: dict[tuple[str, str], int] = {}  # (unit label, name) → its first row
        self.seen_person: dict[tuple[str, int], int] = {}  # (unit label, id(person)) → their first row
        self.unit_values: dict[tuple[str, str], tuple[Any, int]] = {}  # (unit label, key) → (value, row)

    def problem(self, row: Row, key: str, message: str) -> None:
        self.plan.problems.append(Problem(row.number, self.headers.get(key, key), message))

    def check(self, row: Row) -> None:
        """One row: its unit, its person and their occupancy go into the plan, or it has a problem."""
        values = row.values
        if not (values["building"] and values["number"] and values["name"]):
            return  # the missing required cell is already reported
        building = self._building(row)
        if building is None:
            return
        values["building"] = building.code
        label = row.unit_label
        if len(label) > 50:
            self.problem(
                row, "number", _("The unit label %(label)s is longer than 50 characters.") % {"label": label}
            )
            return
        mobiles = [number for number in values["phones"] if is_mobile(number)]
        if self._repeats_an_earlier_row(row, label, mobiles):
            return
        unit, unit_changed = self._unit(row, label, building)
        match = self._person(row, label, mobiles)
        if match is None:
            return
        person, created = match
        self._check_masked_phones(row, person)
        person_changed = self._update_person_and_occupancy(row, label, unit, person)
        self._count(person, created=created, changed=unit_changed or person_changed)

    def _building(self, row: Row) -> Building | None:
        code = row.values["building"]
        building = self.archive.building(code)
        if building is None:
            if code in self.archive.areas or code.upper() in self.archive.areas:
                message = _("%(cell)s is a common area, not a building.")
            else:
                message = _("Unknown building %(cell)s in this project.")
            self.problem(row, "building", message % {"cell": quoted(row.typed.get("building", code))})
        return building

    def _check_masked_phones(self, row: Row, person: _Person) -> None:
        """A masked number ("138****1234", as exports show them) stands for a number of the person on
        file; any other is not a phone number."""
        unknown = [
            masked
            for masked in row.values.get("masked_phones", [])
            if not any(_masked_matches(masked, number) for number in person.phones)
        ]
        if unknown:
            self.problem(
                row,
                "phones",
                _("%(cell)s is not a phone number: its digits are hidden.")
                % {"cell": quoted(row.typed.get("phones", " / ".join(unknown)))},
            )

    def _repeats_an_earlier_row(self, row: Row, label: str, mobiles: list[str]) -> bool:
        """The same person twice in the file. A mobile number is one person's; a landline is often the
        household's, so only mobiles identify a person."""
        name = row.values["name"]
        earlier = next((self.seen_phone[(label, p)] for p in mobiles if (label, p) in self.seen_phone), None)
        if earlier is not None:
            self.problem(
                row,
                "phones",
                _("Same person as row %(row)d (same unit and mobile number).") % {"row": earlier},
            )
        elif (label, name) in self.seen_name:
            earlier = self.seen_name[(label, name)]
            self.problem(
                row, "name", _("Same person as row %(row)d (same unit and name).") % {"row": earlier}
            )
        for number in mobiles:
            self.seen_phone.setdefault((label, number), row.number)
        self.seen_name.setdefault((label, name), row.number)
        return earlier is not None

    def _unit(self, row: Row, label: str, building: Building) -> tuple[Unit, bool]:
        """The row's unit (new when not on file) with the row's values, and whether that changed it."""
        unit = self.archive.units.get(label)
        created = unit is None
        if unit is None:
            values = row.values
            unit = Unit(
                project=self.project,
                building=building,
                entrance=values.get("entrance") or "",
                number=values["number"],
                floor=unit_floor(values["number"]),
                label=label,
            )
            self.archive.units[label] = unit
            self.plan.new_units.append(unit)
            self.plan.counts["units_created"] += 1
        changed = self._set_unit_values(row, label, unit)
        return unit, created or changed

    def _set_unit_values(self, row: Row, label: str, unit: Unit) -> bool:
        """The row's unit values, which must agree with any earlier row for the same unit."""
        changed = False
        for key, attribute in UNIT_VALUES.items():
            if row.values.get(key) in (None, ""):
                continue
            value = row.values[key]
            first = self.unit_values.setdefault((label, key), (value, row.number))
            if first[0] != value:
                self.problem(
                    row,
                    key,
                    _("%(cell)s differs from row %(row)d for the same unit.")
                    % {"cell": quoted(row.typed.get(key, str(value))), "row": first[1]},
                )
                continue
            if _differs(getattr(unit, attribute), value):
                setattr(unit, attribute, value)
                if unit.pk is not None:
                    self.plan.changed_units[unit.pk] = unit
                changed = True
        return changed

    def _person(self, row: Row, label: str, mobiles: list[str]) -> tuple[_Person, bool] | None:
        """The row's person and whether they are new: by unit and mobile number, then by unit and name,
        then the project's resident with this name and phone; None when the row has a problem."""
        name = row.values["name"]
        people = self.archive.unit_people[label]
        by_phone = _people_by_phone(people, mobiles)
        by_name = next((person for person in people if person.resident.name == name), None)
        clash = _phone_clash(by_phone, by_name)
        if clash is not None:
            other, number = clash
            self.problem(
                row,
                "phones",
                _("Phone %(phone)s is on file for %(name)s, another person in this unit.")
                % {"phone": number, "name": other.resident.name},
            )
            return None
        found = by_phone[0][0] if by_phone else by_name
        if found is not None and (label, id(found)) in self.seen_person:
            self.problem(
                row, "name", _("Same person as row %(row)d.") % {"row": self.seen_person[(label, id(found))]}
            )
            return None
        created = False
        if found is None:
            # not in this unit: the project's resident with this name and phone, or a new person
            found = next(
                (
                    self.archive.by_name_phone[(name, number)]
                    for number in row.values["phones"]
                    if (name, number) in self.archive.by_name_phone
                ),
                None,
            )
            if found is None:
                found = _new_person(row.values)
                self.plan.new_persons.append(found)
                created = True
            people.append(found)
        self.seen_person[(label, id(found))] = row.number
        return found, created

    def _update_person_and_occupancy(self, row: Row, label: str, unit: Unit, person: _Person) -> bool:
        if not person.is_new and person.before is None:
            person.before = _history(person)
        changed = _update_person(person, row.values, self.archive)
        return self._occupancy(row, label, unit, person) or changed

    def _occupancy(self, row: Row, label: str, unit: Unit, person: _Person) -> bool:
        """The person's occupancy of the unit: new, or with the row's relation and move-in date."""
        values = row.values
        occupancy = person.occupancies.get(label)
        if occupancy is None:
            occupancy = Occupancy(
                resident=person.resident,
                unit=unit,
                relation=values.get("relation") or Relation.OWNER,
                started_on=values.get("moved_in_on"),
            )
            person.occupancies[label] = occupancy
            self.plan.new_occupancies.append(occupancy)
            return True
        changed = False
        for key, attribute in OCCUPANCY_VALUES.items():
            if values.get(key) and _differs(getattr(occupancy, attribute), values[key]):
                setattr(occupancy, attribute, values[key])
                if occupancy.pk is not None:
                    self.plan.changed_occupancies[occupancy.pk] = occupancy
                changed = True
        return changed

    def _count(self, person: _Person, *, created: bool, changed: bool) -> None:
        if not person.is_new and person.resident.pk is not None and changed:
            self.plan.touched_persons[person.resident.pk] = person
        if created:
            self.plan.counts["created"] += 1
        elif changed:
            self.plan.counts["updated"] += 1
        else:
            self.plan.counts["unchanged"] += 1


def _people_by_phone(people: list[_Person], mobiles: list[str]) -> list[tuple[_Person, str]]:
    """The unit's people with one of the row's mobile numbers, each once, with the number found."""
    found: list[tuple[_Person, str]] = []
    for number in mobiles:
        for person in people:
            if number in person.phones and all(person is not known for known, _n in found):
                found.append((person, number))
    return found


def _phone_clash(by_phone: list[tuple[_Person, str]], by_name: _Person | None) -> tuple[_Person, str] | None:
    """A mobile number of the row that is on file for another person of the unit: a second person found
    by phone, or a person found by phone who is not the one of the row's name."""
    if len(by_phone) > 1:
        return by_phone[1]
    if by_phone and by_name is not None and by_name is not by_phone[0][0]:
        return by_phone[0]
    return None


def _masked_matches(masked: str, number: str) -> bool:
    """ "138****1234" is 13800001234 (the digits shown agree, as many digits as stars hide)."""
    pattern = re.sub(r"[^\d*]", "", masked)
    digits = number.split("-")[0]
    return len(pattern) == len(digits) and all(m in ("*", d) for m, d in zip(pattern, digits, strict=True))


def _differs(current: Any, new: Any) -> bool:
    if isinstance(new, Decimal) and current is not None:
        return Decimal(current) != new
    return bool(current != new)


def _new_person(values: dict[str, Any]) -> _Person:
    resident = Resident(
        name=values[
            "name"
        ],  # name_initials, name_pinyin are worked out when written (the check has no use for them)
        email=values.get("email") or "",
        id_type=values.get("id_type") or "",
        id_number=values.get("id_number") or "",
        preferred_language=values.get("language") or "zh-hans",
        contact_preference=values.get("contact_preference") or ContactPreference.PHONE,
        notes=values.get("notes") or "",
    )
    return _Person(resident=resident, phones=[], occupancies={}, is_new=True)


def _update_person(person: _Person, values: dict[str, Any], archive: _Archive) -> bool:
    """Apply a row's given values to the person; returns whether anything changed."""
    resident = person.resident
    changed = False
    for key, attribute in RESIDENT_VALUES.items():
        value = values.get(key)
        if attribute == "email" and value and needs_confirmation(resident):
            if value.lower() != resident.email.lower() and value != person.requested_email:
                person.requested_email = value
                changed = True
            continue
        if value and getattr(resident, attribute) != value:
            setattr(resident, attribute, value)
            person.fields_changed = True
            changed = True
            if attribute == "name":
                resident.name_initials = name_initials(value)
                resident.name_pinyin = name_pinyin(value)
                archive._index(person)
    for number in values["phones"]:
        if number not in person.phones:
            person.phones.append(number)
            person.new_phones.append(number)
            changed = True
    archive._index(person)
    return changed and not person.is_new


# --- checking and importing --------------------------------------------------------------------------


def _problem_dicts(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"row": p.row, "column": p.column, "message": str(p.message)} for p in problems]


@contextmanager
def _opened(path_or_file: str | Path | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(path_or_file, (str, Path)):
        with open(path_or_file, "rb") as handle:
            yield handle
    else:
        path_or_file.seek(0)
        yield path_or_file


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def _size(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    return size


def column_aliases() -> list[tuple[str, str]] | None:
    """The headers people write for our columns ((alias, column key) pairs, `ImportColumnAlias`); None
    when the table is empty, which means the defaults (`owners.headers.DEFAULT_ALIASES`)."""
    pairs = list(ImportColumnAlias.objects.order_by("pk").values_list("alias", "column"))
    return pairs or None


def read_batch(batch: ImportBatch, progress: Progress | None = None) -> Sheet:
    """The batch's stored workbook, read and checked row by row (no database checks yet)."""

    def reading(done: int, total: int) -> None:
        if progress is not None:
            progress("reading", done, total)

    aliases = column_aliases()
    with batch.file.open("rb") as handle:
        return spreadsheet.read_sheet(cast(IO[bytes], handle), progress=reading, aliases=aliases)


def _original_name(path_or_file: str | Path | IO[bytes]) -> str:
    if isinstance(path_or_file, (str, Path)):
        return Path(path_or_file).name
    return Path(str(getattr(path_or_file, "name", "") or "upload.xlsx")).name


def import_store(
    *, actor: Any, project: Project, path_or_file: str | Path | IO[bytes], filename: str = ""
) -> ImportBatch:
    """Keep an uploaded workbook as a new batch, not checked yet (`import_check_stored` checks it). A file
    over the size limit is not kept: its batch is `invalid` with that problem at once."""
    require(actor, "owners.import", project=project)
    batch = ImportBatch(
        project=project,
        created_by=actor if getattr(actor, "pk", None) else None,
        filename=(filename or _original_name(path_or_file))[:200],
        status=ImportStatus.INVALID,
        phase=ImportBatch.Phase.QUEUED,
    )
    with _opened(path_or_file) as handle:
        too_large = _size(handle) > spreadsheet.MAX_FILE_BYTES
        batch.sha256 = _sha256(handle)
        if not too_large:
            stored_name = f"{project.code}-{timezone.now():%Y%m%d-%H%M%S}.xlsx"
            batch.file.save(stored_name, File(handle, name=stored_name), save=False)
    if too_large:
        problems = [Problem(0, "", spreadsheet.too_large_message())]
        _record_check(batch, Sheet([], problems, {}), _Plan(problems=problems))
        batch.phase = ImportBatch.Phase.DONE
    batch.save()
    return batch


def import_check_stored(*, batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """The dry run of a stored batch: read it, check every row against the archive, record the problems
    and how the file was read. The archive itself is not changed."""
    if batch.file:
        sheet = read_batch(batch, progress)
        plan = _plan(project=batch.project, sheet=sheet, progress=progress)
        _record_check(batch, sheet, plan)
    batch.phase = ImportBatch.Phase.DONE
    batch.rows_read = batch.rows_total = batch.row_count
    batch.save()
    return batch


def import_check(
    *,
    actor: Any,
    project: Project,
    path_or_file: str | Path | IO[bytes],
    filename: str = "",
    progress: Progress | None = None,
) -> ImportBatch:
    """The dry run, at once: store the workbook and check it. Returns the batch, `validated` when clean,
    else `invalid`. (The pages check large files in the worker: `owners.import_runs`.)"""
    batch = import_store(actor=actor, project=project, path_or_file=path_or_file, filename=filename)
    return import_check_stored(batch=batch, progress=progress)


def _layout_dict(sheet: Sheet) -> dict[str, Any]:
    notes = _problem_dicts(sheet.notes)
    if sheet.layout is None:
        return {"notes": notes} if notes else {}
    return {
        "sheet": sheet.layout.sheet,
        "header_row": sheet.layout.header_row,
        "columns": sheet.layout.mapping(),
        "ignored": list(sheet.layout.ignored),
        "header": list(sheet.layout.cells),
        "notes": notes,
    }


def _record_check(batch: ImportBatch, sheet: Sheet, plan: _Plan) -> None:
    batch.row_count = len(sheet.rows)
    batch.problem_count = len(plan.problems)
    batch.problems = _problem_dicts(plan.problems[:MAX_STORED_PROBLEMS])
    batch.problem_rows = sorted({problem.row for problem in plan.problems if problem.row})
    batch.layout = _layout_dict(sheet)
    batch.status = ImportStatus.INVALID if plan.problems else ImportStatus.VALIDATED
    batch.summary = {} if plan.problems else dict(plan.counts)  # what the import would do
    batch.sound_rows_only = False
    batch.committed_by = None


def sound_row_count(batch: ImportBatch) -> int:
    """The rows of a checked file without a problem; 0 when a problem concerns the whole file."""
    if batch.status != ImportStatus.INVALID or not batch.row_count:
        return 0
    return max(batch.row_count - len(batch.problem_rows), 0)


def has_problem_rows(batch: ImportBatch) -> bool:
    """Whether the batch's rows with problems can be downloaded: rows were read, and some have problems."""
    return bool(batch.row_count and batch.problem_rows and batch.file and batch.layout.get("header_row"))


def refuse_unless_ready(batch: ImportBatch, *, sound_rows_only: bool = False) -> None:
    """Raise unless the batch may be imported: all of it (checked, no problems), or its sound rows (checked,
    with problems in some rows only)."""
    if batch.status == ImportStatus.COMMITTED:
        raise DomainError("owners.import_committed", _("This file has already been imported."), status=409)
    if batch.status == ImportStatus.VALIDATED:
        return
    if not sound_rows_only:
        raise DomainError(
            "owners.import_not_validated", _("This file has problems; correct them and upload it again.")
        )
    if not sound_row_count(batch):
        raise DomainError("owners.import_no_sound_rows", _("No row of this file can be imported."))


def import_commit(
    *,
    actor: Any,
    batch: ImportBatch,
    progress: Progress | None = None,
    base_url: str = "",
    sound_rows_only: bool = False,
) -> ImportBatch:
    """Import a checked batch: read the stored file again, check it again against the archive as it is
    now, and write every row in one transaction, or nothing. With `sound_rows_only` (the user's explicit,
    audited choice) the rows without problems are imported and the rows with problems are skipped, when
    these are still exactly the rows the check found. A batch that turns out to have other problems now is
    marked `invalid` with them and nothing is imported."""
    require(actor, "owners.import", project=batch.project)
    refuse_unless_ready(batch, sound_rows_only=sound_rows_only)
    sheet = read_stored(batch, progress)  # outside the transaction: reading a large file takes seconds
    return commit_sheet(
        actor=actor,
        batch=batch,
        sheet=sheet,
        progress=progress,
        base_url=base_url,
        sound_rows_only=sound_rows_only,
    )


def read_stored(batch: ImportBatch, progress: Progress | None = None) -> Sheet:
    """The stored workbook read again, when it is still the file that was checked."""
    with batch.file.open("rb") as handle:
        if _sha256(handle) != batch.sha256:
            raise DomainError(
                "owners.import_file_changed", _("The stored file has changed; upload it again.")
            )
    return read_batch(batch, progress)


def commit_sheet(
    *,
    actor: Any,
    batch: ImportBatch,
    sheet: Sheet,
    progress: Progress | None = None,
    base_url: str = "",
    sound_rows_only: bool = False,
) -> ImportBatch:
    """The transaction of `import_commit`, for a sheet read from the batch's file."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("project").get(pk=batch.pk)
        refuse_unless_ready(batch, sound_rows_only=sound_rows_only)
        sound_rows_only = sound_rows_only and batch.status == ImportStatus.INVALID
        plan = _plan(project=batch.project, sheet=sheet, progress=progress)
        if sound_rows_only and _problem_rows(plan) == set(batch.problem_rows):
            plan = _plan(project=batch.project, sheet=_without_rows(sheet, set(batch.problem_rows)))
        if plan.problems:
            _record_check(batch, sheet, plan)
            batch.phase = ImportBatch.Phase.DONE
            batch.save()
            return batch
        _write(actor=actor, project=batch.project, plan=plan, progress=progress, base_url=base_url)
        _record_commit(actor=actor, batch=batch, plan=plan, sound_rows_only=sound_rows_only)
    return batch


def _problem_rows(plan: _Plan) -> set[int]:
    rows = {problem.row for problem in plan.problems}
    return rows if 0 not in rows else {0}  # a problem of the whole file matches no recorded rows


def _without_rows(sheet: Sheet, rows: set[int]) -> Sheet:
    return Sheet([row for row in sheet.rows if row.number not in rows], [], sheet.headers, sheet.layout)


def _record_commit(*, actor: Any, batch: ImportBatch, plan: _Plan, sound_rows_only: bool) -> None:
    before = {"status": batch.status}
    batch.status = ImportStatus.COMMITTED
    batch.summary = dict(plan.counts)
    batch.committed_at = timezone.now()
    batch.committed_by = actor if getattr(actor, "pk", None) else None
    batch.sound_rows_only = sound_rows_only
    batch.phase = ImportBatch.Phase.DONE
    batch.save(
        update_fields=[
            "status",
            "summary",
            "committed_at",
            "committed_by",
            "sound_rows_only",
            "phase",
            "updated_at",
        ]
    )
    after: dict[str, Any] = {"status": batch.status, "file": batch.filename, "rows": batch.row_count}
    if sound_rows_only:
        skipped = batch.problem_rows
        after |= {
            "sound_rows_only": True,
            "imported_rows": batch.row_count - len(skipped),
            "skipped_rows": len(skipped),
            "skipped": skipped[:MAX_AUDITED_ROWS],
        }
    audit_record(
        actor=actor,
        action="import",
        obj=batch,
        before=before,
        after={**after, **plan.counts},
        project_id=batch.project_id,
    )


def _write(
    *, actor: Any, project: Project, plan: _Plan, progress: Progress | None, base_url: str = ""
) -> None:
    """The plan as a handful of bulk statements (the caller holds the transaction)."""
    now = timezone.now()
    new_phones = [
        ResidentPhone(
            resident=person.resident,
            number=number,
            last4=phone_last4(number),
            is_mobile=is_mobile(number),
            position=person.next_position + offset,
        )
        for person in [*plan.new_persons, *plan.touched_persons.values()]
        for offset, number in enumerate(person.new_phones)
    ]
    steps: list[tuple[int, Callable[[], Any]]] = [
        (len(plan.new_units), lambda: Unit.objects.bulk_create(plan.new_units, batch_size=BATCH_SIZE)),
        (len(plan.changed_units), lambda: _bulk_update(Unit, plan.changed_units.values(), UNIT_FIELDS, now)),
        (
            len(plan.new_persons),
            lambda: Resident.objects.bulk_create(
                [p.resident for p in plan.new_persons], batch_size=BATCH_SIZE
            ),
        ),
        (
            len(plan.touched_persons),
            lambda: _bulk_update(
                Resident,
                [p.resident for p in plan.touched_persons.values() if p.fields_changed],
                [*RESIDENT_FIELDS, "name_initials", "name_pinyin"],
                now,
            ),
        ),
        (len(new_phones), lambda: ResidentPhone.objects.bulk_create(new_phones, batch_size=BATCH_SIZE)),
        (
            len(plan.new_occupancies),
            lambda: Occupancy.objects.bulk_create(plan.new_occupancies, batch_size=BATCH_SIZE),
        ),
        (
            len(plan.changed_occupancies),
            lambda: _bulk_update(
                Occupancy, plan.changed_occupancies.values(), ["relation", "started_on"], now
            ),
        ),
        (
            len(plan.new_persons) + len(plan.touched_persons),
            lambda: AuditEntry.objects.bulk_create(
                _audit_entries(actor, project, plan), batch_size=BATCH_SIZE
            ),
        ),
    ]
    for person in plan.new_persons:
        person.resident.name_initials = name_initials(person.resident.name)
        person.resident.name_pinyin = name_pinyin(person.resident.name)
    total = sum(count for count, _step in steps)
    done = 0
    if progress is not None:
        progress("writing", done, total)
    for count, step in steps:
        if count:
            step()
        done += count
        if progress is not None:
            progress("writing", done, total)
    for person in plan.touched_persons.values():
        if person.requested_email:
            email_change_request(
                actor=actor, resident=person.resident, new_email=person.requested_email, base_url=base_url
            )


def _bulk_update(model: type[Model], objects: Any, fields: list[str], now: Any) -> None:
    objects = list(objects)
    for obj in objects:
        obj.updated_at = now  # type: ignore[attr-defined]
    model._default_manager.bulk_update(objects, [*fields, "updated_at"], batch_size=BATCH_SIZE)


def _audit_entries(actor: Any, project: Project, plan: _Plan) -> list[AuditEntry]:
    """One audit row per resident created or changed, as `common.audit.audit_record` writes it."""
    actor_or_none = actor if getattr(actor, "pk", None) else None
    entries = []
    for person in plan.new_persons:
        entries.append(
            AuditEntry(
                actor=actor_or_none,
                action=AuditEntry.Action.CREATE,
                object_type=Resident._meta.label_lower,
                object_id=str(person.resident.pk),
                object_repr=str(person.resident)[:200],
                changes=diff({}, _history(person)),
                project_id=project.pk,
            )
        )
    for person in plan.touched_persons.values():
        changes = diff(person.before or {}, _history(person))
        if changes:
            entries.append(
                AuditEntry(
                    actor=actor_or_none,
                    action=AuditEntry.Action.UPDATE,
                    object_type=Resident._meta.label_lower,
                    object_id=str(person.resident.pk),
                    object_repr=str(person.resident)[:200],
                    changes=changes,
                    project_id=project.pk,
                )
            )
    return entries


def import_problem_list(*, batch: ImportBatch) -> list[dict[str, Any]]:
    """Every problem of a batch. The batch keeps the first 1,000; when there were more, the stored file is
    checked again (read only) to list them all."""
    if batch.problem_count <= len(batch.problems) or not batch.file:
        return list(batch.problems)
    sheet = read_batch(batch, None)
    return _problem_dicts(_plan(project=batch.project, sheet=sheet).problems)
