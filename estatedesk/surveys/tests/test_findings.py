"""An unsatisfied item becomes a feedback item (R-SV-3): registered through feedback's registration service
with the project, the area, the item's department's category, a complaint or a suggestion, and a description
naming the campaign, the item, the area and the counts; once per finding and person; outsiders refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.models import FeedbackItem
from estatedesk.surveys.findings import finding_to_feedback_item
from estatedesk.surveys.tests.test_figures import add_forms, hand_computed, make_campaign, ratings


def post(client, built, **data):
    return client.post(reverse("surveys:finding_item", args=[built.campaign.reference]), data)


def test_sv_3_an_unsatisfied_item_in_an_area_becomes_a_feedback_item(world, login):
    built = hand_computed(world)
    engineering = built.items[1]
    building = built.areas[0]
    # when the project manager registers 工程维修 in 1号楼 (5 of 10 unsatisfied)
    response = post(login(world.pm_a), built, item=engineering.pk, area=building.pk, kind="complaint")
    # then one feedback item, through feedback's registration (reference, clocks, timeline)
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:analysis", args=[built.campaign.reference])
    item = FeedbackItem.objects.get()
    assert item.project == world.project_a
    assert item.building.name == "1号楼"
    assert item.kind == Kind.COMPLAINT
    assert item.category == Category.ENGINEERING  # the item's department: engineering
    assert item.channel == Channel.PATROL  # a staff finding, not one customer's call
    assert item.registered_by == world.pm_a
    assert item.reference.startswith("QD-A-")
    assert item.resolution_due_at is not None or item.contact_due_at is not None  # the SLA clocks run
    assert item.description == (
        "满意度调查 SV-QD-A-202611-01《2026年11月满意度调查》（2026-11-01 至 2026-11-30）："
        "工程维修，1号楼：表态的 10 位客户中 5 位不满意（未表态 0 位）；满意率 50.00%。"
    )
    assert item.title == "满意度调查：客户对工程维修不满意（1号楼）"
    assert item.events.exists()
    assert AuditEntry.objects.filter(object_type="surveys.campaign", action="update").exists()


def test_sv_3_a_whole_item_finding_has_no_area_and_names_all_areas(world, login):
    built = hand_computed(world)
    service = built.items[0]
    response = post(login(world.agent_a), built, item=service.pk, kind="suggestion")
    assert response.status_code == 302
    item = FeedbackItem.objects.get()
    assert item.building is None
    assert item.kind == Kind.SUGGESTION
    assert item.category == Category.CUSTOMER_SERVICE
    assert (
        "客户服务，全部区域：表态的 12 位客户中 2 位不满意（未表态 0 位）；满意率 83.33%" in item.description
    )


def test_sv_3_registering_the_same_finding_twice_makes_one_item(world, login):
    built = hand_computed(world)
    client = login(world.pm_a)
    for _attempt in range(2):
        post(client, built, item=built.items[1].pk, area=built.areas[1].pk, kind="complaint")
    assert FeedbackItem.objects.count() == 1


def test_sv_3_no_unsatisfied_answer_no_feedback_item(world, login):
    built = hand_computed(world)
    client = login(world.pm_a)
    # 秩序维护 has no unsatisfied answer anywhere
    response = post(client, built, item=built.items[2].pk, kind="complaint")
    assert response.status_code == 302
    assert FeedbackItem.objects.count() == 0
    # nor has 客户服务 … in an area where all were satisfied
    built_b = make_campaign(world, reference="SV-QD-A-202611-02")
    add_forms(built_b, built_b.areas[0], {0: ratings(satisfied=2)})
    add_forms(built_b, built_b.areas[1], {0: ratings(unsatisfied=1)})
    post(client, built_b, item=built_b.items[0].pk, area=built_b.areas[0].pk, kind="complaint")
    assert FeedbackItem.objects.count() == 0


def test_sv_3_only_complaints_and_suggestions(world, login):
    built = hand_computed(world)
    response = post(login(world.pm_a), built, item=built.items[1].pk, kind="praise")
    assert response.status_code == 302
    assert FeedbackItem.objects.count() == 0
    with pytest.raises(DomainError) as refused:
        finding_to_feedback_item(
            actor=world.pm_a, campaign=built.campaign, campaign_item_id=built.items[1].pk, kind=Kind.REPAIR
        )
    assert refused.value.code == "surveys.finding_kind"


def test_sv_3_an_item_or_area_of_another_campaign_is_not_found(world, login):
    built = hand_computed(world)
    other = make_campaign(world, reference="SV-QD-A-202611-02")
    client = login(world.pm_a)
    assert post(client, built, item=other.items[1].pk, kind="complaint").status_code == 404
    assert (
        post(client, built, item=built.items[1].pk, area=other.areas[0].pk, kind="complaint").status_code
        == 404
    )
    assert FeedbackItem.objects.count() == 0


@pytest.mark.parametrize(
    ("index", "category"),
    [(1, Category.ENGINEERING), (2, Category.ORDER), (3, Category.CLEANING), (0, Category.CUSTOMER_SERVICE)],
)
def test_sv_3_category_follows_the_items_department(world, index, category):
    built = make_campaign(world)
    add_forms(built, built.areas[0], {index: ratings(unsatisfied=1)})
    item = finding_to_feedback_item(
        actor=world.pm_a, campaign=built.campaign, campaign_item_id=built.items[index].pk, kind=Kind.COMPLAINT
    )
    assert item.category == category


def test_sv_3_an_item_of_a_department_without_a_category_goes_to_customer_service(world):
    built = make_campaign(world, items=[("fees", "收费管理", "Fees", "admin")])
    add_forms(built, built.areas[0], {0: ratings(unsatisfied=1)})
    item = finding_to_feedback_item(
        actor=world.pm_a, campaign=built.campaign, campaign_item_id=built.items[0].pk
    )
    assert item.category == Category.CUSTOMER_SERVICE


# --- who may ------------------------------------------------------------------------------------------------


def test_sv_3_staff_without_feedback_register_are_refused(world, login):
    built = hand_computed(world)
    # the branch manager sees the analysis but does not register feedback
    assert (
        post(login(world.branch_manager), built, item=built.items[1].pk, kind="complaint").status_code == 403
    )
    with pytest.raises(PermissionDenied):
        finding_to_feedback_item(actor=world.hq, campaign=built.campaign, campaign_item_id=built.items[1].pk)
    assert FeedbackItem.objects.count() == 0


def test_outsiders_cannot_post_a_finding(world, login, client):
    built = hand_computed(world)
    data = {"item": built.items[1].pk, "kind": "complaint"}
    assert post(login(world.outsider), built, **data).status_code == 404
    assert post(login(world.nobody), built, **data).status_code == 403
    assert post(login(world.owner_a), built, **data).status_code == 403
    assert post(client, built, **data).status_code == 302  # to the login page
    assert (
        login(world.pm_a).get(reverse("surveys:finding_item", args=[built.campaign.reference])).status_code
        == 405
    )
    assert FeedbackItem.objects.count() == 0
