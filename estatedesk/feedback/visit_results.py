"""A return visit's result on the item it was about (R-RV, R-FB-8), written for the visits app.

visits sits above feedback and records the grade (附表三); the item's own record is feedback's: the grade goes
on the item's timeline (shown to the customer as a grade, without the visitor's notes) and, when the
customer has not rated the handling themselves, it becomes the customer acceptance of the execution record
(附表二: "customer acceptance comes from the customer's rating or the return visit"). A rating the customer
gave stays the acceptance; a later visit does not overwrite the customer's own word.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from estatedesk.feedback import events
from estatedesk.feedback.choices import Rating
from estatedesk.feedback.models import ExecutionRecord, FeedbackItem


@transaction.atomic
def feedback_item_visit_recorded(
    *, actor: Any, item: FeedbackItem, grade: str, purpose: str, visit_id: int
) -> None:
    record: dict[str, Any] | None = None
    if not item.rating:
        with translation.override(settings.LANGUAGE_CODE):  # the printed form is in the company's language
            text = str(Rating(grade).label)
        acceptance, _created = ExecutionRecord.objects.select_for_update().get_or_create(item=item)
        if acceptance.customer_acceptance != text:  # the latest visit speaks for the customer
            before = acceptance.customer_acceptance
            acceptance.customer_acceptance = text
            acceptance.customer_acceptance_at = timezone.now()
            acceptance.save(update_fields=["customer_acceptance", "customer_acceptance_at", "updated_at"])
            record = {"customer_acceptance": [before, text]}
    events.return_visit_recorded(
        item=item, actor=actor, grade=grade, purpose=purpose, visit_id=visit_id, record=record
    )
