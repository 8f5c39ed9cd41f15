from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from estatedesk.common.errors import DomainError


@transaction.atomic
def user_set_language(*, actor: Any, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise DomainError("accounts.invalid_language", "unsupported language")
    if actor.is_authenticated and actor.preferred_language != language:
        actor.preferred_language = language
        actor.save(update_fields=["preferred_language"])
