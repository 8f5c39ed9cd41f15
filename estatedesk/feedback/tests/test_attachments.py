"""Photos on an item: staff add them, only people who may see the item can open them."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from estatedesk.feedback.models import Attachment, TimelineEvent
from estatedesk.feedback.tests.helpers import register


def png(name: str = "leak.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_fb_1_staff_add_photos_and_only_the_items_viewers_open_them(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = register(world, resident=world.owner_a.resident, unit=world.unit_a)
    response = login(world.agent_a).post(
        reverse("feedback:item_photos", args=[item.reference]), {"photos": [png()]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(item=item)
    assert attachment.name == "leak.png"
    assert TimelineEvent.objects.filter(item=item, kind="attachment").exists()
    url = reverse("feedback:attachment_download", args=[item.reference, attachment.pk])
    assert login(world.agent_a).get(url).status_code == 200
    assert login(world.owner_a).get(url).status_code == 200  # the customer who raised it
    assert login(world.outsider).get(url).status_code == 404
    assert login(world.hq).get(url).status_code == 200


def test_fb_1_a_file_that_is_not_a_photo_is_refused(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = register(world)
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    login(world.agent_a).post(reverse("feedback:item_photos", args=[item.reference]), {"photos": [fake]})
    assert not Attachment.objects.filter(item=item).exists()
    assert (
        login(world.outsider)
        .post(reverse("feedback:item_photos", args=[item.reference]), {"photos": [png()]})
        .status_code
        == 404
    )
