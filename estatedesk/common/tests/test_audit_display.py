"""The audit trail in business words (issue 11): who changed what, from what to what, in local time; field
verbose names, choice labels and related objects by name; never model labels, field names or ISO times."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse
from django.utils import translation

from estatedesk.common.audit import audit_entries_for_viewer, audit_record
from estatedesk.common.models import AuditEntry
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import Occupancy, Resident


def _occupancy_change(world) -> AuditEntry:
    occupancy = Occupancy.objects.get(resident__name="沈业主")
    entry = audit_record(
        actor=world.supervisor_a,
        action="update",
        obj=occupancy,
        before={"relation": Relation.OWNER, "unit_id": world.unit_a_neighbour.pk, "started_on": None},
        after={"relation": Relation.TENANT, "unit_id": world.unit_a.pk, "started_on": "2021-05-01"},
        project_id=world.project_a.pk,
    )
    AuditEntry.objects.filter(pk=entry.pk).update(at=datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
    return entry


def test_audit_rows_name_fields_choices_and_related_objects_in_business_words(world):
    # given a change of an occupancy: its relation, its unit and its start date
    _occupancy_change(world)

    # when HQ reads the trail in Chinese
    with translation.override("zh-hans"):
        (row,) = audit_entries_for_viewer(viewer=world.hq, entries=AuditEntry.objects.all())
        lines = {line.label: (line.old, line.new) for line in row.shown_lines}

        # then the object is named by its kind, each field by its verbose name, values by their labels
        assert row.shown_object_type == str(Occupancy._meta.verbose_name)
        assert lines[str(Occupancy._meta.get_field("relation").verbose_name)] == (
            str(Relation.OWNER.label),
            str(Relation.TENANT.label),
        )
        assert lines[str(Occupancy._meta.get_field("unit").verbose_name)] == ("1-1-102", "1-1-101")
        assert lines[str(Occupancy._meta.get_field("started_on").verbose_name)] == ("", "2021-05-01")
        assert "relation" not in lines
        assert "unit_id" not in lines


def test_audit_times_in_changes_are_shown_in_local_time(world):
    # given a change that recorded an ISO time (UTC), as services do for a validity
    resident = Resident.objects.get(name="沈业主")
    audit_record(
        actor=world.supervisor_a,
        action="update",
        obj=resident,
        after={"expires_at": "2026-12-01T16:30:00+00:00", "name": "沈业主"},
    )

    # when HQ reads it
    with translation.override("zh-hans"):
        (row,) = audit_entries_for_viewer(viewer=world.hq, entries=AuditEntry.objects.all())
        values = {line.label: line.new for line in row.shown_lines}

    # then the time is Asia/Shanghai's, without seconds or offset; the person's name is labelled 姓名
    assert values == {"有效期至": "2026-12-02 00:30", "姓名": "沈业主"}


def test_audit_trail_page_shows_who_what_and_local_time_never_model_labels_or_iso(world, login):
    # given a change recorded at 16:30 UTC
    _occupancy_change(world)

    # when HQ opens the audit trail
    body = login(world.hq).get(reverse("org:audit_trail"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    # then: who (the user's name), what (the kind of object), from what to what, at 00:30 Shanghai time
    assert "supervisor_a" in body
    assert "2026-12-02 00:30" in body
    assert "1-1-102" in body
    assert "owners.occupancy" not in body
    assert "unit_id" not in body
    assert "2026-12-01T16:30" not in body


def test_resident_history_shows_the_same_business_words(world, login):
    # given a resident whose name was corrected
    resident = Resident.objects.get(name="沈业主")
    audit_record(
        actor=world.supervisor_a,
        action="update",
        obj=resident,
        before={"name": "沈业"},
        after={"name": "沈业主"},
        project_id=world.project_a.pk,
    )

    # when the supervisor opens the resident page
    url = reverse("owners:resident_detail", args=[resident.pk])
    body = login(world.supervisor_a).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    # then the history names the field 姓名, not "name"
    assert '<span class="changes__field">姓名</span>' in body
    assert '<span class="changes__field">name</span>' not in body


def test_outsider_sees_no_audit_rows_of_project_a(world, login):
    _occupancy_change(world)
    response = login(world.outsider).get(reverse("org:audit_trail"))
    assert response.status_code in (200, 403)
    assert "1-1-102" not in response.content.decode()
