"""Running an owner import from the pages (R-OA-2): a small file is checked and imported at once, in the
request; a large one (more than `INLINE_MAX_ROWS` rows) by the worker (`owners.tasks`, run by
`estatedesk worker`), never inside a web request. The task is enqueued in the request's transaction (the
database backend stores it beside the batch: both or neither) and loads the batch by id.

The worker keeps its progress on the ImportBatch (`phase`, `rows_read` of `rows_total`) for the page to
poll. Reading the file, the longest part, shows row by row; the check and the write of an import run in
one transaction, which nobody else sees until it ends, so that phase shows as "writing" as a whole.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from estatedesk.common.errors import DomainError
from estatedesk.org.models import Project
from estatedesk.org.permissions import require
from estatedesk.owners import importing, spreadsheet
from estatedesk.owners.choices import ImportStatus
from estatedesk.owners.models import ImportBatch

logger = logging.getLogger(__name__)

INLINE_MAX_ROWS = 500  # a file with more rows is checked and imported by the worker
INLINE_MAX_BYTES = 64 * 1024  # a file that does not declare its rows (a streamed workbook): by its size
Phase = ImportBatch.Phase


class BatchProgress:
    """importing.Progress that writes to the batch row: one UPDATE a call (the reader calls every 500
    rows, the check every 1,000)."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id

    def __call__(self, stage: str, done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=self.batch_id).update(phase=stage, rows_read=done, rows_total=total)


def declared_rows(source: str | Path | IO[bytes]) -> int | None:
    """The rows of a workbook's largest sheet as the file declares them; None when a sheet does not say
    (or the file is no workbook: the check will tell)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(source, read_only=True)
    except Exception:  # noqa: BLE001 - not a workbook: the check reports it, at once
        return 0
    try:
        sizes = [sheet.max_row for sheet in workbook.worksheets]
    finally:
        workbook.close()
    return None if any(size is None for size in sizes) else max(sizes, default=0)


def runs_in_background(upload: IO[bytes]) -> bool:
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(0)
    if size > spreadsheet.MAX_FILE_BYTES:
        return False  # refused at once
    rows = declared_rows(upload)
    upload.seek(0)
    return size > INLINE_MAX_BYTES if rows is None else rows > INLINE_MAX_ROWS


def import_start(*, actor: Any, project: Project, upload: IO[bytes], filename: str = "") -> ImportBatch:
    """The dry run of an uploaded workbook: at once for a small file, else queued for the worker (the
    batch's phase says `queued` until it starts)."""
    if not runs_in_background(upload):
        return importing.import_check(actor=actor, project=project, path_or_file=upload, filename=filename)
    with transaction.atomic():
        batch = importing.import_store(actor=actor, project=project, path_or_file=upload, filename=filename)
        if batch.is_running:
            import_check_run.enqueue(batch_id=batch.pk)
    return batch


def import_commit_start(
    *, actor: Any, batch: ImportBatch, base_url: str = "", sound_rows_only: bool = False
) -> ImportBatch:
    """Import a checked batch (all rows, or its sound rows only): at once when it is small, else queued
    for the worker. A batch already queued or running is refused."""
    require(actor, "owners.import", project=batch.project)
    if batch.is_running:
        raise _running()
    importing.refuse_unless_ready(batch, sound_rows_only=sound_rows_only)
    if batch.row_count <= INLINE_MAX_ROWS:
        return importing.import_commit(
            actor=actor, batch=batch, base_url=base_url, sound_rows_only=sound_rows_only
        )
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(
            pk=batch.pk, phase__in=[Phase.DONE, Phase.FAILED], status=batch.status
        ).update(
            phase=Phase.QUEUED,
            committed_by=actor,
            sound_rows_only=sound_rows_only,
            rows_read=0,
            rows_total=batch.row_count,
        )
        if not claimed:
            raise _running()
        import_commit_run.enqueue(batch_id=batch.pk, base_url=base_url)
    batch.refresh_from_db()
    return batch


def _running() -> DomainError:
    return DomainError(
        "owners.import_running",
        _("This file is being checked or imported; wait until it is done."),
        status=409,
    )


def _queued(batch_id: int) -> ImportBatch | None:
    """The batch a task is for, unless it is done (a task run twice does nothing more)."""
    batch = ImportBatch.objects.select_related("project", "committed_by").filter(pk=batch_id).first()
    return batch if batch is not None and batch.is_running else None


def _stop(batch_id: int, why: str) -> str:
    logger.warning("owner import %s stopped: %s", batch_id, why)
    ImportBatch.objects.filter(pk=batch_id).update(phase=Phase.FAILED)
    return Phase.FAILED


def import_batch_check(*, batch_id: int) -> str:
    """The worker's dry run of a stored batch (task `import_check_run`); returns the batch's status."""
    batch = _queued(batch_id)
    if batch is None:
        return "done"
    try:
        # the problems are stored as words: in the language of whoever uploaded the file, not whatever
        # language the worker's thread last had
        with translation.override(_language_of(batch.created_by)):
            batch = importing.import_check_stored(batch=batch, progress=BatchProgress(batch.pk))
    except Exception:
        _stop(batch_id, "error")
        raise
    return str(batch.status)


def _language_of(user: Any) -> str:
    return getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE


def import_batch_commit(*, batch_id: int, base_url: str = "") -> str:
    """The worker's import of a checked batch (task `import_commit_run`) as `committed_by` asked for it;
    returns the batch's status."""
    batch = _queued(batch_id)
    if batch is None or batch.status == ImportStatus.COMMITTED:
        return "done"
    actor = batch.committed_by
    if actor is None:
        return _stop(batch_id, "the account that asked for it is gone")
    progress = BatchProgress(batch.pk)
    try:
        require(actor, "owners.import", project=batch.project)
        with translation.override(_language_of(actor)):
            sheet = importing.read_stored(batch, progress)
        progress(Phase.WRITING, 0, batch.row_count)  # the check and the write: one transaction
        with translation.override(_language_of(actor)):
            batch = importing.commit_sheet(
                actor=actor,
                batch=batch,
                sheet=sheet,
                base_url=base_url,
                sound_rows_only=batch.sound_rows_only,
            )
    except (DomainError, PermissionDenied) as error:
        return _stop(batch_id, str(getattr(error, "code", error)))
    except Exception:
        _stop(batch_id, "error")
        raise
    return str(batch.status)


# --- the worker's side (tasks live beside the code they run: the worker imports them by their path) -----


@task()
def import_check_run(*, batch_id: int) -> str:
    """Check an uploaded owner workbook too large to check in the request (R-OA-2); the progress is kept
    on the batch."""
    return import_batch_check(batch_id=batch_id)


@task()
def import_commit_run(*, batch_id: int, base_url: str = "") -> str:
    """Import a checked owner workbook too large to import in the request (R-OA-2), as the user asked
    (all rows or the sound rows only); the progress is kept on the batch."""
    return import_batch_commit(batch_id=batch_id, base_url=base_url)
