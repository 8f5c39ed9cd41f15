"""In-app notifications: each user sees only their own; emails go out once however often the task runs."""

from django.core import mail
from django.urls import reverse

from estatedesk.notifications.models import Notification, OutboundEmail
from estatedesk.notifications.services import notify
from estatedesk.notifications.tasks import send_email


def test_a_user_sees_only_their_own_notifications(world, login):
    world.agent_a.email = "agent@example.invalid"
    world.agent_a.save()
    notify(
        users=[world.agent_a],
        title="新反馈 QD-A-20261126-0001",
        body="漏水",
        url="/feedback/QD-A-20261126-0001/",
    )
    page = login(world.agent_a).get(reverse("notifications:list")).content.decode()
    assert "新反馈 QD-A-20261126-0001" in page
    assert 'data-testid="unread-count">1<' in page
    assert "新反馈" not in login(world.outsider).get(reverse("notifications:list")).content.decode()
    notification = Notification.objects.get()
    assert (
        login(world.outsider).post(reverse("notifications:open", args=[notification.pk])).status_code == 302
    )
    notification.refresh_from_db()
    assert notification.read_at is None  # the outsider's click changed nothing
    response = login(world.agent_a).post(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == "/feedback/QD-A-20261126-0001/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_email_goes_out_once_and_is_marked_automatic(world):
    world.agent_a.email = "agent@example.invalid"
    world.agent_a.save()
    notify(users=[world.agent_a], title="测试", body="内容")
    email = OutboundEmail.objects.get()
    assert send_email.call(outbound_email_id=email.pk) is True
    assert send_email.call(outbound_email_id=email.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Auto-Submitted"] == "auto-generated"


def test_links_elsewhere_are_not_followed(world, login):
    notify(users=[world.agent_a], title="x", url="https://evil.invalid/", email=False)
    response = login(world.agent_a).post(reverse("notifications:open", args=[Notification.objects.get().pk]))
    assert response["Location"] == reverse("notifications:list")
