"""A resident who moved to another project (issue 16, item 2b): the project they left keeps seeing its own
record of them (their name, its units, the phones it recorded, its history) and "moved out on …", never
their new unit, their new email or phones, or who handles them now; the new project never sees the old
project's units or history. Company-wide roles and a branch covering both see both."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from estatedesk.org.choices import Role, ScopeLevel
from estatedesk.org.models import Building, Membership, Unit
from estatedesk.owners.choices import Relation
from estatedesk.owners.models import Occupancy, Resident
from estatedesk.owners.selectors import resident_lookup
from estatedesk.owners.services import occupancy_end, resident_create, resident_update

OLD_PHONE = "13600001111"
NEW_PHONE = "13655556666"
OLD_EMAIL = "zhang.old@example.com"
NEW_EMAIL = "zhang.new@example.com"
MOVED_OUT_ON = date(2026, 10, 31)


@pytest.fixture
def moved(world: Any) -> Resident:
    """张三 lived in 1-1-103 of project A (recorded by A's agent), moved out on 2026-10-31 and now lives in
    2-1-201 of project A2 (绿溪苑), whose agent `lvxi_agent` added a phone and a new email."""
    old_unit = Unit.objects.create(
        project=world.project_a,
        building=world.unit_a.building,
        entrance="1",
        floor=1,
        number="103",
        label="1-1-103",
    )
    resident = resident_create(
        actor=world.agent_a,
        unit=old_unit,
        name="张三",
        phones=[OLD_PHONE],
        email=OLD_EMAIL,
        started_on=date(2020, 1, 1),
    )
    occupancy_end(actor=world.agent_a, occupancy=resident.occupancies.get(), ended_on=MOVED_OUT_ON)
    building = Building.objects.create(project=world.project_a2, code="2", name="2号楼")
    new_unit = Unit.objects.create(
        project=world.project_a2, building=building, entrance="1", floor=2, number="201", label="2-1-201"
    )
    Occupancy.objects.create(
        resident=resident, unit=new_unit, relation=Relation.OWNER, started_on=MOVED_OUT_ON
    )
    lvxi_agent = get_user_model().objects.create_user(username="lvxi_agent", display_name="lvxi_agent")
    Membership.objects.create(
        user=lvxi_agent,
        role=Role.CS_AGENT,
        level=ScopeLevel.PROJECT,
        company=world.company,
        project=world.project_a2,
    )
    world.users["lvxi_agent"] = lvxi_agent
    resident_update(actor=lvxi_agent, resident=resident, phones=[OLD_PHONE, NEW_PHONE], email=NEW_EMAIL)
    return resident


def _page(client: Any, resident: Resident) -> str:
    response = client.get(reverse("owners:resident_detail", args=[resident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _api(user: Any, resident: Resident) -> dict[str, Any]:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    response = client.get(f"/api/owners/residents/{resident.pk}/")
    assert response.status_code == 200
    return response.json()


def test_sec_the_old_project_sees_its_own_record_and_the_move_out_only(moved, world, login):
    # given 张三 moved from project A to project A2
    # when A's agent opens the resident's page
    body = _page(login(world.agent_a), moved)
    # then they read the name, A's unit, the phone A recorded and "moved out on 2026-10-31"
    assert "张三" in body
    assert 'data-testid="moved-out"' in body
    assert "2026-10-31" in body
    assert "1-1-103" in body
    assert OLD_PHONE in body
    # and nothing of A2: not its project or unit, not the new phone or email, not who handles them there
    for secret in ("绿溪苑", "2-1-201", NEW_PHONE, "136****6666", NEW_EMAIL, "lvxi_agent"):
        assert secret not in body, secret


def test_sec_the_old_project_reads_the_same_through_the_api(moved, world):
    # given 张三 moved from project A to project A2
    # when A's agent reads the resident through the API
    resident = _api(world.agent_a, moved)
    # then the API says the same as the page
    assert resident["units"] == []
    assert resident["past_units"] == [
        {
            "project": "QD-A",
            "unit": "1-1-103",
            "relation": "owner",
            "moved_in_on": "2020-01-01",
            "moved_out_on": "2026-10-31",
        }
    ]
    assert resident["moved_out_on"] == "2026-10-31"
    assert resident["phones"] == [OLD_PHONE]
    assert resident["email"] == ""
    assert NEW_EMAIL not in str(resident)
    assert "QD-B" not in str(resident)


def test_sec_the_old_project_cannot_find_change_or_reveal_a_resident_who_left(moved, world, login):
    # given 张三 moved from project A to project A2, with an ID number on file
    Resident.objects.filter(pk=moved.pk).update(id_type="id_card", id_number="11010519491231002X")
    client = login(world.supervisor_a)
    # when A's CS supervisor looks them up, tries to edit them or to reveal their ID number
    found_by_new_phone = resident_lookup(user=world.supervisor_a, query=NEW_PHONE)
    found_by_name = resident_lookup(user=world.supervisor_a, query="张三")
    edit = client.get(reverse("owners:resident_edit", args=[moved.pk]))
    reveal = client.post(reverse("owners:resident_id_reveal", args=[moved.pk]))
    # then the lookup finds only people who live in A now, and editing and revealing are refused
    assert found_by_new_phone == []
    assert found_by_name == []
    assert edit.status_code == 403
    assert reveal.status_code == 403


def test_sec_the_new_project_never_sees_the_old_projects_units_or_history(moved, world, login):
    # given 张三 moved from project A to project A2
    # when A2's agent opens the page and the API
    body = _page(login(world.lvxi_agent), moved)
    resident = _api(world.lvxi_agent, moved)
    # then they see the resident as they live in A2 now, and nothing of project A
    assert NEW_PHONE in body
    assert "2-1-201" in body
    assert 'data-testid="moved-out"' not in body
    for secret in ("海景花园", "1-1-103", "agent_a"):
        assert secret not in body, secret
    assert [u["unit"] for u in resident["units"]] == ["2-1-201"]
    assert resident["past_units"] == []
    assert resident["moved_out_on"] is None
    assert resident["phones"] == [OLD_PHONE, NEW_PHONE]


@pytest.mark.parametrize("viewer", ["branch_manager", "hq"])
def test_sec_who_covers_both_projects_sees_both(moved, world, login, viewer):
    # given 张三 moved between two projects of branch A
    # when the branch manager or HQ reads the resident
    resident = _api(world.users[viewer], moved)
    # then they see the current unit in A2 and the past one in A
    assert [u["unit"] for u in resident["units"]] == ["2-1-201"]
    assert [u["unit"] for u in resident["past_units"]] == ["1-1-103"]
    assert resident["moved_out_on"] is None
    assert resident["email"] == NEW_EMAIL
