"""The API list's rows are written out in Python (api._item_row) instead of going through a DRF field per
value: they print exactly what ItemOutput's declared fields print, for staff and for the customer, for
items with and without a place, assignees, an overdue clock, a rating and an HQ report."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from estatedesk.feedback.api import ItemOutput
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.selectors import api_rows, item_list
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
    # an executor known by their full name only, a supervisor by their user name only
    type(world.executor_a).objects.filter(pk=world.executor_a.pk).update(
        display_name="", first_name="Wei", last_name="Li"
    )
    type(world.dept_supervisor_a).objects.filter(pk=world.dept_supervisor_a.pk).update(display_name="")
    for user in (world.hq, world.supervisor_a, world.owner_a, world.outsider):
        rows = list(api_rows(item_list(user=user)))
        items = list(item_list(user=user))
        assert [row["id"] for row in rows] == [item.pk for item in items]
        context = {"now": now, "user": user}
        # when the list's rows are printed the fast way and the items field by field
        with django_assert_num_queries(0):  # the list's columns are all a row needs
            fast = [dict(row) for row in ItemOutput(rows, many=True, context=context).data]
        # then they are the same, key for key and in the same order
        assert fast == by_fields(items, context)
        assert "Wei Li" in str(fast) or user in (world.owner_a, world.outsider)
        assert [list(row) for row in fast] == [list(row) for row in by_fields(items, context)]
    assert len(list(api_rows(item_list(user=world.owner_a)))) == 3
    assert any(
        row["is_overdue"]
        for row in ItemOutput(
            api_rows(item_list(user=world.hq)), many=True, context={"now": now, "user": world.hq}
        ).data
    )
