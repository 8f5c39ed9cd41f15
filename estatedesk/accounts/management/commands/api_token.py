"""`estatedesk api_token create USER` prints a new API token for USER (shown once); `estatedesk api_token
revoke USER` deletes it. A client sends it as `Authorization: Token <key>`. A password change revokes it
too (accounts.services). Both are in the audit trail, without the key."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from estatedesk.accounts.services import api_token_create, api_tokens_revoke
from estatedesk.common.errors import DomainError


class Command(BaseCommand):
    help = "Create (print) or revoke a user's API token."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["create", "revoke"])
        parser.add_argument("username", help="the user's login name")

    def handle(self, *args: Any, action: str, username: str, **options: Any) -> None:
        user_model = get_user_model()
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        try:
            if action == "create":
                self.stdout.write(api_token_create(actor=None, user=user))
                return
            revoked = api_tokens_revoke(actor=None, user=user)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(f"revoked {revoked} token(s) of {username}")
