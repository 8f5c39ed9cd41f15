"""One error type for broken business rules; views and the API turn it into a clear message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule was broken. `code` is stable (`<app>.<what>`), `message` is translated for people.

    `fields` maps form/API field names to messages when the error belongs to particular inputs.
    `status` is the HTTP status the API answers with (400 unless the rule says otherwise).
    """

    def __init__(
        self, code: str, message: Any, *, fields: dict[str, list[Any]] | None = None, status: int = 400
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.status = status
