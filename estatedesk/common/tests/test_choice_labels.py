"""get_FOO_display() from a table made once per field and language (common.models.choice_label): the same
labels as Django's own, in the language active when asked, the stored value when it is not a choice."""

from __future__ import annotations

from django.db import models
from django.utils import translation

from estatedesk.common.models import choice_label
from estatedesk.feedback.choices import Channel, Status
from estatedesk.feedback.models import FeedbackItem


def django_display(field: models.Field, value: object) -> object:
    """What Django's own Model._get_FIELD_display gives."""
    return models.Model._get_FIELD_display(FeedbackItem(**{field.attname: value}), field)


def test_labels_are_djangos_in_each_language_and_follow_the_active_one():
    status = FeedbackItem._meta.get_field("status")
    channel = FeedbackItem._meta.get_field("channel")
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for field, choices in ((status, Status), (channel, Channel)):
                for value in choices.values:
                    assert choice_label(field, value) == django_display(field, value)
                    assert FeedbackItem(**{field.attname: value})._get_FIELD_display(field) == django_display(
                        field, value
                    )
    with translation.override("zh-hans"):
        chinese = FeedbackItem(status=Status.CLOSED).get_status_display()
    with translation.override("en"):
        english = FeedbackItem(status=Status.CLOSED).get_status_display()
        assert english == str(Status.CLOSED.label) == "Closed"
    assert chinese != english


def test_a_value_that_is_no_choice_is_shown_as_stored():
    item = FeedbackItem(status="made-up")
    assert item.get_status_display() == "made-up" == django_display(item._meta.get_field("status"), "made-up")
