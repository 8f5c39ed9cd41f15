"""Words that fit (issue 11): a person's name is 姓名 (a thing's stays 名称); the owner's feedback form
asks for the 类别 (category), not an area."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import translation

from estatedesk.owners.models import Resident


def _labels(body: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", "", label) for label in re.findall(r"<label[^>]*>(.*?)</label>", body, re.S)
    ]


def test_owner_feedback_form_asks_for_the_category_not_an_area(world, login):
    # when the owner opens the feedback form in Chinese
    body = (
        login(world.owner_a)
        .get(reverse("feedback_portal:new"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )

    # then the category is called 类别, and nothing is called 区域
    labels = _labels(body)
    assert any(label.startswith("类别") for label in labels), labels
    assert not any("区域" in label for label in labels), labels


def test_person_names_are_labelled_xingming_and_things_keep_mingcheng(world, login):
    client = login(world.supervisor_a)
    resident = Resident.objects.get(name="沈业主")

    # when the supervisor opens the archive, a resident's form and a project page in Chinese
    archive = client.get(reverse("owners:project_archive", args=["QD-A"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    form = client.get(reverse("owners:resident_edit", args=[resident.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    project = client.get(reverse("org:project_detail", args=["QD-A"]), HTTP_ACCEPT_LANGUAGE="zh-hans")

    # then residents' and members' names are 姓名; buildings and departments keep 名称
    assert '<th scope="col">姓名</th>' in archive.content.decode()
    assert any(label.startswith("姓名") for label in _labels(form.content.decode()))
    project_body = project.content.decode()
    assert '<th scope="col">姓名</th>' in project_body  # the members
    assert '<th scope="col">名称</th>' in project_body  # the buildings, the departments
    with translation.override("en"):  # in English it stays "name": no migration, no other string changes
        assert str(Resident._meta.get_field("name").verbose_name) == "name"
