"""Notifications people can live with (issue 11): one row per item with its count and latest message, a bell
that counts items, read when the item is opened, "mark all as read" with htmx; only ever one's own."""

from __future__ import annotations

from django.urls import reverse

from estatedesk.feedback import notices
from estatedesk.feedback.tests.helpers import register
from estatedesk.notifications.models import Notification
from estatedesk.notifications.selectors import notification_groups, unread_group_count
from estatedesk.notifications.services import notifications_mark_read, notify

ITEM_1 = "/feedback/QD-A-20261126-0001/"
ITEM_2 = "/feedback/QD-A-20261126-0002/"


def tell(user, title: str, url: str = ITEM_1, **kwargs) -> None:
    notify(users=[user], title=title, url=url, email=False, **kwargs)


def unread(user) -> list[str]:
    return list(Notification.objects.filter(user=user, read_at__isnull=True).values_list("title", flat=True))


def test_notifications_about_one_item_are_one_row_with_its_count_and_latest_message(world, login):
    # given three notifications about one item and one about another
    tell(world.agent_a, "新反馈 0001")
    tell(world.agent_a, "0002 联系主管", url=ITEM_2)
    tell(world.agent_a, "0001 联系主管")
    tell(world.agent_a, "0001 超时")
    # when the agent reads the list
    groups = notification_groups(user=world.agent_a)
    page = login(world.agent_a).get(reverse("notifications:list")).content.decode()
    # then one row per item, the item with the newest notification first, showing its latest message
    rows = [(g.latest.title, g.count, g.unread) for g in groups]
    assert rows == [("0001 超时", 3, 3), ("0002 联系主管", 1, 1)]
    assert page.count('data-testid="notification"') == 2
    assert "0001 超时" in page
    assert "新反馈 0001" not in page  # older messages of the item are counted, not listed
    assert 'data-testid="group-count"' in page


def test_the_bell_counts_items_with_unread_notifications_not_notifications(world, login):
    # given five unread notifications about two items, and a read item
    for n in range(4):
        tell(world.agent_a, f"0001 消息 {n}")
    tell(world.agent_a, "0002 消息", url=ITEM_2)
    tell(world.agent_a, "0003 消息", url="/feedback/QD-A-20261126-0003/")
    notifications_mark_read(user=world.agent_a, group_key="/feedback/QD-A-20261126-0003/")
    # when any page is shown
    page = login(world.agent_a).get(reverse("notifications:list")).content.decode()
    # then the bell says 2 (items), not 5 (notifications)
    assert unread_group_count(user=world.agent_a) == 2
    assert 'data-testid="unread-count">2<' in page


def test_notifications_without_a_link_group_by_their_key_or_stand_alone(world):
    # given two notifications with one key and no link, and two with neither
    tell(world.agent_a, "a", url="", group_key="owners:resident:7")
    tell(world.agent_a, "b", url="", group_key="owners:resident:7")
    tell(world.agent_a, "c", url="")
    tell(world.agent_a, "d", url="")
    # then the keyed ones are one group; each of the others is its own
    assert sorted(g.count for g in notification_groups(user=world.agent_a)) == [1, 1, 2]
    assert unread_group_count(user=world.agent_a) == 3


def test_opening_the_item_page_marks_its_notifications_read(world, login):
    # given two registered items: the CS supervisor is told of both
    first = register(world, title="楼道漏水")
    second = register(world, title="电梯异响")
    assert unread_group_count(user=world.supervisor_a) == 2
    # when the supervisor opens the first item's page
    response = login(world.supervisor_a).get(reverse("feedback:item_detail", args=[first.reference]))
    # then its notifications are read; the other item's are not
    assert response.status_code == 200
    left = Notification.objects.filter(user=world.supervisor_a, read_at__isnull=True)
    assert set(left.values_list("group_key", flat=True)) == {notices.item_group_key(second)}
    assert unread_group_count(user=world.supervisor_a) == 1


def test_opening_an_item_reads_only_the_openers_notifications(world, login):
    # given an item both the supervisor and the agent were told about
    item = register(world)
    tell(world.agent_a, "about the item", url=notices.item_url(item))
    # when the supervisor opens it
    login(world.supervisor_a).get(reverse("feedback:item_detail", args=[item.reference]))
    # then the agent's notification is still unread
    assert unread(world.agent_a) == ["about the item"]


def test_the_owner_opening_their_request_reads_its_notifications(world, login):
    # given an item registered for the owner (who has a portal account), and another
    item = register(world, resident=world.unit_a.occupancies.get().resident, unit=world.unit_a)
    other = register(world, resident=world.unit_a.occupancies.get().resident, unit=world.unit_a)
    # then the owner's acknowledgement is about that item and leads to their page of it
    told = Notification.objects.get(user=world.owner_a, group_key=notices.item_group_key(item))
    assert told.url == reverse("feedback_portal:item", args=[item.reference])
    # when the owner opens that page
    response = login(world.owner_a).get(told.url)
    # then its notification is read, the other request's is not
    assert response.status_code == 200
    left = Notification.objects.filter(user=world.owner_a, read_at__isnull=True)
    assert set(left.values_list("group_key", flat=True)) == {notices.item_group_key(other)}


def test_opening_a_notification_reads_its_whole_item_and_goes_there(world, login):
    # given three notifications about one item and one about another
    tell(world.agent_a, "0001 a")
    tell(world.agent_a, "0001 b")
    tell(world.agent_a, "0002 a", url=ITEM_2)
    latest = Notification.objects.filter(user=world.agent_a, title="0001 b").get()
    # when the agent opens the item's row
    response = login(world.agent_a).post(reverse("notifications:open", args=[latest.pk]))
    # then both notifications about it are read and they land on the item
    assert response.status_code == 302
    assert response["Location"] == ITEM_1
    assert unread(world.agent_a) == ["0002 a"]


def test_mark_all_read_with_htmx_redraws_the_list_and_the_bell(world, login):
    # given unread notifications about two items
    tell(world.agent_a, "0001 a")
    tell(world.agent_a, "0002 a", url=ITEM_2)
    # when the agent clicks "mark all as read" (htmx)
    response = login(world.agent_a).post(reverse("notifications:read_all"), headers={"HX-Request": "true"})
    # then everything is read, the list comes back without the button and the bell without a number
    page = response.content.decode()
    assert response.status_code == 200
    assert unread(world.agent_a) == []
    assert 'id="notification-groups"' in page
    assert 'hx-swap-oob="true"' in page
    assert 'data-testid="unread-count"' not in page
    assert 'data-testid="read-all"' not in page
    assert page.count('data-testid="notification"') == 2


def test_mark_all_read_without_javascript_goes_back_to_the_list(world, login):
    tell(world.agent_a, "0001 a")
    response = login(world.agent_a).post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")
    assert unread(world.agent_a) == []


def test_the_list_offers_mark_all_read_only_when_something_is_unread(world, login):
    tell(world.agent_a, "0001 a")
    client = login(world.agent_a)
    assert 'data-testid="read-all"' in client.get(reverse("notifications:list")).content.decode()
    notifications_mark_read(user=world.agent_a, group_key=ITEM_1)
    assert 'data-testid="read-all"' not in client.get(reverse("notifications:list")).content.decode()


def test_an_outsider_can_neither_see_nor_read_nor_mark_anothers_notifications(world, login):
    # given the agent's unread notifications about an item of project A
    item = register(world)
    tell(world.agent_a, "about the item", url=notices.item_url(item))
    mine = Notification.objects.get(user=world.agent_a)
    outsider = login(world.outsider)
    # when the outsider lists, opens, marks all and opens the item page
    listed = outsider.get(reverse("notifications:list")).content.decode()
    opened = outsider.post(reverse("notifications:open", args=[mine.pk]))
    outsider.post(reverse("notifications:read_all"), headers={"HX-Request": "true"})
    page = outsider.get(reverse("feedback:item_detail", args=[item.reference]))
    notifications_mark_read(user=world.outsider, group_key=notices.item_group_key(item))
    # then they saw nothing of it and the agent's notification is still unread
    assert "about the item" not in listed
    assert opened["Location"] == reverse("notifications:list")
    assert page.status_code == 404
    assert unread(world.agent_a) == ["about the item"]
    assert unread_group_count(user=world.outsider) == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for response in (
        client.get(reverse("notifications:list")),
        client.post(reverse("notifications:read_all")),
        client.post(reverse("notifications:open", args=[1])),
    ):
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]
