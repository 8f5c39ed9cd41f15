"""Export of the owner archive to Excel (R-OA-2): what the user may see, streamed row by row, safe from
formula injection, in the import template's columns so an export can be corrected and imported again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from estatedesk.common.audit import audit_record
from estatedesk.common.excel import write_workbook
from estatedesk.org.models import Project
from estatedesk.org.permissions import can, require
from estatedesk.owners.choices import ContactPreference, IdType, Relation
from estatedesk.owners.contacts import mask_id_number, mask_phone
from estatedesk.owners.models import Occupancy, ResidentPhone
from estatedesk.owners.spreadsheet import COLUMNS

STATUS_ZH = {"vacant": "空置", "occupied": "已入住", "decorating": "装修中"}
RELATION_ZH: dict[str, str] = {Relation.OWNER: "业主", Relation.TENANT: "租户", Relation.MEMBER: "家庭成员"}
ID_TYPE_ZH: dict[str, str] = {
    IdType.ID_CARD: "身份证",
    IdType.PASSPORT: "护照",
    IdType.HK_MACAU_PERMIT: "港澳通行证",
    IdType.TAIWAN_PERMIT: "台胞证",
    IdType.OTHER: "其他",
}
LANGUAGE_ZH = {"zh-hans": "中文", "en": "English"}
CONTACT_ZH: dict[str, str] = {
    ContactPreference.PHONE: "电话",
    ContactPreference.SMS: "短信",
    ContactPreference.EMAIL: "邮件",
}


def _rows(*, project: Project, full_phones: bool) -> Iterator[list[Any]]:
    occupancies = (
        Occupancy.objects.filter(unit__project=project, ended_on__isnull=True)
        .select_related("unit__building", "resident")
        .prefetch_related(
            Prefetch("resident__phones", queryset=ResidentPhone.objects.order_by("position", "id"))
        )
        .order_by("unit__label", "relation", "resident__name")
    )
    for occupancy in occupancies.iterator(chunk_size=1000):
        unit, resident = occupancy.unit, occupancy.resident
        phones = [p.number if full_phones else mask_phone(p.number) for p in resident.phones.all()]
        values = {
            "building": unit.building.code,
            "entrance": unit.entrance,
            "number": unit.number,
            "floor_area": unit.floor_area,
            "unit_status": STATUS_ZH.get(unit.status, unit.status),
            "handover_on": unit.handover_on,
            "name": resident.name,
            "relation": RELATION_ZH.get(occupancy.relation, occupancy.relation),
            "phones": " / ".join(phones),
            "email": resident.email,
            "id_type": ID_TYPE_ZH.get(resident.id_type, ""),
            "id_number": mask_id_number(resident.id_number) if resident.id_number else "",
            "moved_in_on": occupancy.started_on,
            "language": LANGUAGE_ZH.get(resident.preferred_language, ""),
            "contact_preference": CONTACT_ZH.get(resident.contact_preference, ""),
            "notes": resident.notes,
        }
        yield [values[column.key] for column in COLUMNS]


def project_export(*, actor: Any, project: Project) -> str:
    """Write the project's archive to a temporary .xlsx and record the export; returns the file path.
    ID numbers are always masked in exports; phones are masked for roles that do not call owners."""
    require(actor, "owners.export", project=project)
    full_phones = can(actor, "owners.phone.full", project=project)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            obj=project,
            after={"what": "owner archive", "phones": "full" if full_phones else "masked"},
            project_id=project.pk,
        )
    return write_workbook(
        title=f"业户档案 {project.code}",
        headers=[column.zh for column in COLUMNS],
        rows=_rows(project=project, full_phones=full_phones),
        column_widths=[8, 6, 8, 10, 10, 12, 12, 10, 28, 24, 10, 22, 12, 8, 10, 30],
    )
