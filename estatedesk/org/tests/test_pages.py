"""Organisation pages: each persona sees its scope; the outsider sees and changes nothing of project A."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.urls import reverse

from estatedesk.common.models import AuditEntry
from estatedesk.org.models import Membership, Project, PublicHoliday, WorkingCalendar

# What only project A's data contains (its code appears in URLs the outsider types, so it is not a marker).
A_MARKERS = ("海景花园", "0532-A000-0001", "qd-a@complaints.invalid")


def a_pages(world) -> list[str]:
    calendar = WorkingCalendar.objects.get(code="CS-CENTRE")
    return [
        reverse("home"),
        reverse("org:project_list"),
        reverse("org:project_detail", args=["QD-A"]),
        reverse("org:calendar_list"),
        reverse("org:calendar_edit", args=[calendar.pk]),
        reverse("org:audit_trail"),
        reverse("accounts:profile"),
        reverse("owners:portal"),
    ]


def test_anonymous_is_sent_to_login_from_every_page(world, client):
    for url in a_pages(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_outsider_sees_nothing_of_project_a_on_any_page(world, login):
    client = login(world.outsider)
    for url in a_pages(world):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        body = response.content.decode()
        for marker in A_MARKERS:
            assert marker not in body, (url, marker)


def test_outsider_changes_nothing(world, login):
    client = login(world.outsider)
    calendar = WorkingCalendar.objects.get(code="CS-CENTRE")
    holiday = PublicHoliday.objects.filter(company=world.company).first()
    before_audit = AuditEntry.objects.count()
    responses = [
        client.post(
            reverse("org:project_detail", args=["QD-A"]),
            {"hotline_1": "110", "hotline_2": "", "complaint_email": ""},
        ),
        client.post(
            reverse("org:calendar_edit", args=[calendar.pk]),
            {"name": "x", "opens_at": "00:00", "closes_at": "23:00", "working_weekdays": ["1"]},
        ),
        client.post(reverse("org:holiday_add"), {"day": "2026-12-24", "kind": "holiday", "name": "x"}),
        client.post(reverse("org:holiday_remove", args=[holiday.pk])),
    ]
    assert [r.status_code for r in responses] == [404, 403, 403, 403]
    world.project_a.refresh_from_db()
    calendar.refresh_from_db()
    assert world.project_a.hotline_1 == "0532-A000-0001"
    assert calendar.opens_at == time(8, 0)
    assert PublicHoliday.objects.filter(pk=holiday.pk).exists()
    assert not PublicHoliday.objects.filter(day=date(2026, 12, 24)).exists()
    assert AuditEntry.objects.count() == before_audit


@pytest.mark.parametrize(
    ("persona", "visible", "hidden"),
    [
        ("agent_a", {"海景花园"}, {"绿溪苑", "泉城公馆"}),
        ("pm_a", {"海景花园"}, {"绿溪苑", "泉城公馆"}),
        ("branch_manager", {"海景花园", "绿溪苑"}, {"泉城公馆"}),
        ("hq", {"海景花园", "绿溪苑", "泉城公馆"}, set()),
        ("outsider", {"泉城公馆"}, {"海景花园", "绿溪苑"}),
    ],
)
def test_home_lists_exactly_the_projects_in_scope(world, login, persona, visible, hidden):
    body = login(world.users[persona]).get(reverse("home")).content.decode()
    for name in visible:
        assert name in body
    for name in hidden:
        assert name not in body


def test_ch_3_project_page_shows_hotlines_and_mailbox_to_staff(world, login):
    body = login(world.agent_a).get(reverse("org:project_detail", args=["QD-A"])).content.decode()
    assert "0532-A000-0001" in body
    assert "0532-A000-0002" in body
    assert "qd-a@complaints.invalid" in body


def test_ch_3_owner_portal_shows_own_unit_and_hotlines(world, login):
    response = login(world.owner_a).get(reverse("home"), follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("owners:portal")
    assert "1-1-101" in body
    assert "tel:" in body
    assert "0532-A000-0001" in body
    assert "qd-a@complaints.invalid" in body
    assert "1-1-102" not in body  # the neighbour's unit
    assert "邻居" not in body


def test_owner_cannot_open_staff_pages(world, login):
    client = login(world.owner_a)
    assert client.get(reverse("org:project_detail", args=["QD-A"])).status_code == 403
    assert client.get(reverse("org:project_list")).status_code == 403
    assert client.get(reverse("org:audit_trail")).status_code == 403


def test_user_without_roles_is_told_to_ask_for_access(world, login):
    response = login(world.nobody).get(reverse("home"))
    assert response.status_code == 403
    assert "海景花园" not in response.content.decode()


def test_members_of_a_project_are_shown_to_its_manager_not_to_agents(world, login):
    url = reverse("org:project_detail", args=["QD-A"])
    assert "supervisor_a" in login(world.pm_a).get(url).content.decode()
    assert "supervisor_a" not in login(world.agent_a).get(url).content.decode()


def test_hq_edits_project_contacts_and_it_is_audited(world, login):
    response = login(world.hq).post(
        reverse("org:project_detail", args=["QD-A"]),
        {
            "hotline_1": "400-800-1234",
            "hotline_2": "0532-A000-0002",
            "complaint_email": "new@complaints.invalid",
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(code="QD-A")
    assert project.hotline_1 == "400-800-1234"
    entry = AuditEntry.objects.get(object_type="org.project", object_id=str(project.pk))
    assert entry.actor == world.hq
    assert entry.changes["hotline_1"] == ["0532-A000-0001", "400-800-1234"]
    assert entry.project_id == project.pk


def test_ch_1_hq_edits_service_hours_with_audit(world, login):
    calendar = WorkingCalendar.objects.get(code="CS-CENTRE")
    response = login(world.hq).post(
        reverse("org:calendar_edit", args=[calendar.pk]),
        {
            "name": "客服中心",
            "opens_at": "07:30",
            "closes_at": "19:30",
            "working_weekdays": ["1", "2", "3", "4", "5", "6"],
        },
    )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert (calendar.opens_at, calendar.closes_at, calendar.working_weekdays) == (
        time(7, 30),
        time(19, 30),
        "123456",
    )
    entry = AuditEntry.objects.get(object_type="org.workingcalendar")
    assert entry.changes["opens_at"] == ["08:00:00", "07:30:00"]


def test_ch_1_invalid_hours_are_refused_with_a_message(world, login):
    calendar = WorkingCalendar.objects.get(code="CS-CENTRE")
    response = login(world.hq).post(
        reverse("org:calendar_edit", args=[calendar.pk]),
        {"name": "客服中心", "opens_at": "20:00", "closes_at": "08:00", "working_weekdays": ["1"]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["closes_at"]
    calendar.refresh_from_db()
    assert calendar.opens_at == time(8, 0)


def test_ch_1_hq_adds_and_removes_a_holiday(world, login):
    client = login(world.hq)
    response = client.post(
        reverse("org:holiday_add"), {"day": "2027-02-04", "kind": "makeup_workday", "name": "春节调休"}
    )
    assert response.status_code == 302
    holiday = PublicHoliday.objects.get(day=date(2027, 2, 4))
    assert holiday.kind == "makeup_workday"
    assert client.post(reverse("org:holiday_remove", args=[holiday.pk])).status_code == 302
    assert not PublicHoliday.objects.filter(day=date(2027, 2, 4)).exists()
    assert list(
        AuditEntry.objects.filter(object_type="org.publicholiday")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "delete"]


def test_agents_cannot_edit_calendars(world, login):
    calendar = WorkingCalendar.objects.get(code="CS-CENTRE")
    assert login(world.agent_a).get(reverse("org:calendar_edit", args=[calendar.pk])).status_code == 403


def test_audit_trail_is_scoped(world, login):
    login(world.hq).post(
        reverse("org:project_detail", args=["JN-C"]),
        {"hotline_1": "0531-1", "hotline_2": "", "complaint_email": ""},
    )
    login(world.hq).post(
        reverse("org:project_detail", args=["QD-A"]),
        {"hotline_1": "0532-1", "hotline_2": "", "complaint_email": ""},
    )
    pm_view = [e.object_repr for e in login(world.pm_a).get(reverse("org:audit_trail")).context["entries"]]
    hq_view = [e.object_repr for e in login(world.hq).get(reverse("org:audit_trail")).context["entries"]]
    assert pm_view == ["海景花园"]
    assert sorted(hq_view) == ["泉城公馆", "海景花园"]


def test_membership_changes_are_audited_in_admin(world, login):
    client = login(world.sysadmin)
    membership = Membership.objects.get(user=world.agent_a)
    response = client.post(
        reverse("admin:org_membership_change", args=[membership.pk]),
        {
            "user": world.agent_a.pk,
            "role": "cs_supervisor",
            "level": "project",
            "company": world.company.pk,
            "branch": "",
            "project": world.project_a.pk,
            "department": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(object_type="org.membership", object_id=str(membership.pk))
    assert entry.actor == world.sysadmin
    assert entry.changes["role"] == ["cs_agent", "cs_supervisor"]


def test_list_pages_use_a_bounded_number_of_queries(world, login, django_assert_max_num_queries):
    client = login(world.hq)
    for url in (reverse("home"), reverse("org:project_list"), reverse("org:calendar_list")):
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200


def test_project_list_counts_each_projects_buildings_and_units_once(world, login):
    """The counts are made per project (a subquery each): two joins used to multiply buildings by units."""
    from estatedesk.org.choices import BuildingKind
    from estatedesk.org.models import Building, Unit
    from estatedesk.org.selectors import project_list

    project = world.project_a
    tower = Building.objects.create(project=project, code="B2", name="2号楼", kind=BuildingKind.BUILDING)
    Building.objects.create(project=project, code="GATE", name="东门", kind=BuildingKind.AREA)
    for number in ("101", "102", "201"):
        Unit.objects.create(
            project=project,
            building=tower,
            entrance="1",
            floor=int(number[0]),
            number=number,
            label=f"2-1-{number}",
        )
    expected = {
        p.code: (
            Building.objects.filter(project=p, kind=BuildingKind.BUILDING).count(),
            Unit.objects.filter(project=p).count(),
        )
        for p in Project.objects.all()
    }
    assert expected[project.code][1] >= 4  # the world's units and the three above
    counted = {p.code: (p.building_count, p.unit_count) for p in project_list(user=world.users["hq"])}
    assert counted == {code: expected[code] for code in counted}
    assert project.code in counted
