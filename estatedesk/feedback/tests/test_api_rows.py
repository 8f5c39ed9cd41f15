"""The API list's rows are written out in Python (api._item_row) instead of going through a DRF field per
value: they print exactly what ItemOutput's declared fields print, for staff and for the customer, for
items with and without a place, assignees, an overdue clock, a rating and an HQ report."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from estatedesk.feedback.api import ItemOutput
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.selectors import item_list_api_rows
from estatedesk.feedback.tests.helpers import register, walk
from estatedesk.owners.models import Resident


def by_fields(items: list[FeedbackItem], context: dict) -> list[dict]:
    """Each row through the serializer's declared fields, as DRF prints them."""
    output = ItemOutput(context=context)
    return [dict(serializers.Serializer.to_representation(output, item)) for item in items]


def test_fb_api_list_rows_print_what_the_declared_fields_print(world, crew, django_assert_num_queries):
    # given items of every shape: with a unit and the owner, without a place, assigned, overdue, rated,
    # reported to HQ, and one whose staff title differs from the customer's words
    owner = Resident.objects.get(user=world.owner_a)
    register(
        world, resident=owner, unit=world.unit_a, title="内部措辞", description="楼道灯不亮，晚上看不见路。"
    )
    register(world, registered_at=timezone.now() - timedelta(days=5))
    walk(world, register(world, resident=owner, unit=world.unit_a), until="arrange")
    rated = walk(world, register(world, resident=owner, unit=world.unit_a), until="close")
    FeedbackItem.objects.filter(pk=rated.pk).update(rating="B", reported_to_hq_at=timezone.now(), is_hot=True)
    now = timezone.now()
    for user in (world.hq, world.supervisor_a, world.owner_a, world.outsider):
        items = list(item_list_api_rows(user=user))
        context = {"now": now, "user": user}
        # when the list's rows are printed the fast way and field by field
        with django_assert_num_queries(0):  # the list's columns are all a row needs
            fast = [dict(row) for row in ItemOutput(items, many=True, context=context).data]
        # then they are the same, key for key and in the same order
        assert fast == by_fields(items, context)
        assert [list(row) for row in fast] == [list(row) for row in by_fields(items, context)]
    assert len(list(item_list_api_rows(user=world.owner_a))) == 3
    assert any(
        row["is_overdue"]
        for row in ItemOutput(
            item_list_api_rows(user=world.hq), many=True, context={"now": now, "user": world.hq}
        ).data
    )
