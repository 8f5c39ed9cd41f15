"""`estatedesk poll-mailboxes [--mailbox ID] [--limit N]`: one poll of the complaint mailboxes, now.

Prints one line per mailbox with what its new messages became; exit code 1 when a mailbox could not be
polled (its error is printed and kept on the mailbox)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from estatedesk.feedback.intake.mailbox import PollResult, mailbox_poll, mailbox_poll_all
from estatedesk.feedback.models import Mailbox


class Command(BaseCommand):
    help = "Fetch new mail from the complaint mailboxes once and print what it became."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--mailbox", type=int, help="only this mailbox (its id); active or not")
        parser.add_argument("--limit", type=int, default=200, help="messages downloaded per mailbox")

    def handle(self, *args: Any, mailbox: int | None, limit: int, **options: Any) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        if mailbox is None:
            results = mailbox_poll_all(fetch_limit=limit)
            if not results:
                self.stdout.write("No active mailbox.")
        else:
            target = Mailbox.objects.select_related("project").filter(pk=mailbox).first()
            if target is None:
                raise CommandError(f"No mailbox with the id {mailbox}.")
            results = [mailbox_poll(mailbox=target, fetch_limit=limit)]
        for result in results:
            self.stdout.write(self._line(result))
        failed = [result for result in results if result.error]
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(results)} mailboxes could not be polled.", returncode=1
            )

    def _line(self, result: PollResult) -> str:
        if result.error:
            return f"{result.mailbox}: failed: {result.error}"
        line = (
            f"{result.mailbox}: {result.fetched} fetched, {result.created} new items, "
            f"{result.threaded} replies threaded, {result.ignored} ignored, "
            f"{result.quarantined} quarantined, {result.duplicates} already recorded"
        )
        return line + (f", {result.remaining} left for the next poll" if result.remaining else "")
