"""The project archive in an order people read (issue 11): by unit in natural order, or by pinyin; never
by code point."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from estatedesk.org.models import Building, Unit
from estatedesk.owners.choices import Relation
from estatedesk.owners.contacts import name_initials, name_pinyin
from estatedesk.owners.models import Occupancy, Resident
from estatedesk.owners.services import resident_create, resident_update

pytestmark = pytest.mark.django_db


def _move_in(world, label: str, name: str) -> Resident:
    building_code, entrance, number = label.split("-")
    building, _ = Building.objects.get_or_create(
        project=world.project_a, code=building_code, defaults={"name": f"{building_code}号楼"}
    )
    unit = Unit.objects.create(
        project=world.project_a,
        building=building,
        entrance=entrance,
        floor=int(number[:-2]),
        number=number,
        label=label,
    )
    resident = Resident.objects.create(
        name=name, name_initials=name_initials(name), name_pinyin=name_pinyin(name)
    )
    Occupancy.objects.create(resident=resident, unit=unit, relation=Relation.OWNER)
    return resident


def _names_in_page(body: str) -> list[str]:
    return re.findall(r'<tr data-testid="resident-row">\s*<td class="nowrap"><a [^>]*>([^<]+)</a>', body)


@pytest.fixture
def residents(world):
    # given residents whose code-point order, unit order and pinyin order all differ
    _move_in(world, "1-10-101", "阿明")  # a
    _move_in(world, "1-2-101", "张伟")  # z
    _move_in(world, "2-1-101", "白雪")  # b
    _move_in(world, "10-1-101", "陈晨")  # c
    return world


def test_archive_sorts_by_unit_in_natural_order_by_default(residents, login):
    # when the supervisor opens the project archive
    body = (
        login(residents.supervisor_a).get(reverse("owners:project_archive", args=["QD-A"])).content.decode()
    )

    # then 1-1-101 (沈业主), 1-1-102 (邻居), 1-2-101 before 1-10-101, building 2 before building 10
    assert _names_in_page(body) == ["沈业主", "邻居", "张伟", "阿明", "白雪", "陈晨"]


def test_archive_sorts_by_pinyin_on_request(residents, login):
    # when the supervisor chooses the name order
    url = reverse("owners:project_archive", args=["QD-A"])
    body = login(residents.supervisor_a).get(url, {"sort": "name"}).content.decode()

    # then names follow their pinyin (a, b, c, l, s, z), not their code points (张 < 沈 < 白 < 邻 < 阿 < 陈)
    assert _names_in_page(body) == ["阿明", "白雪", "陈晨", "邻居", "沈业主", "张伟"]
    assert 'value="name" selected' in body


def test_archive_sorts_by_full_pinyin_not_by_initials(world, login):
    # given names whose initials tie or mislead (cd, cc, cc) and whose code points run 曹 < 陈 < 程
    _move_in(world, "3-1-101", "程超")  # cheng chao
    _move_in(world, "3-1-102", "曹东")  # cao dong
    _move_in(world, "3-1-103", "陈晨")  # chen chen

    # when the supervisor chooses the name order
    url = reverse("owners:project_archive", args=["QD-A"])
    body = login(world.supervisor_a).get(url, {"sort": "name"}).content.decode()

    # then cao < chen < cheng (then lin, shen), not the initials' cc, cc, cd (陈晨, 程超, 曹东)
    assert _names_in_page(body) == ["曹东", "陈晨", "程超", "邻居", "沈业主"]


def test_archive_page_names_the_pinyin_order(residents, login):
    client = login(residents.supervisor_a)
    body = client.get(
        reverse("owners:project_archive", args=["QD-A"]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert "按姓名拼音</option>" in body
    assert "首字母</option>" not in body


def test_created_and_renamed_residents_get_their_pinyin(world):
    # when a resident is registered, then renamed
    resident = resident_create(actor=world.supervisor_a, unit=world.unit_a, name="欧阳娜娜")
    created = resident.name_pinyin
    resident = resident_update(actor=world.supervisor_a, resident=resident, name="Li Lei")

    # then the sort key follows the name
    assert created == "ou yang na na"
    resident.refresh_from_db()
    assert (resident.name_initials, resident.name_pinyin) == ("ll", "li lei")


def test_archive_sort_survives_search_fragment_and_unknown_value(residents, login):
    client = login(residents.supervisor_a)
    url = reverse("owners:project_archive", args=["QD-A"])

    # when the rows fragment is asked for by htmx with a sort, and the page with a sort that does not exist
    fragment = client.get(
        url, {"sort": "name", "q": "1-"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="resident-rows"
    )
    unknown = client.get(url, {"sort": "id; drop table"})

    # then the fragment is the rows only, and an unknown sort falls back to the unit order
    assert fragment.status_code == 200
    assert "<h1" not in fragment.content.decode()
    assert unknown.status_code == 200
    assert _names_in_page(unknown.content.decode())[:3] == ["沈业主", "邻居", "张伟"]


def test_outsider_cannot_open_the_archive_in_either_order(residents, login):
    client = login(residents.outsider)
    url = reverse("owners:project_archive", args=["QD-A"])
    for sort in ("unit", "name"):
        response = client.get(url, {"sort": sort})
        assert response.status_code == 404
        assert "张伟" not in response.content.decode()
