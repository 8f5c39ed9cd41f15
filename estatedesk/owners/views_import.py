"""The owner-archive Excel import pages (R-OA-2): the template, the upload (a dry run), the report (how
each column was read, every problem, the rows with problems as a workbook to correct), the progress of a
large file in the worker, and the import itself: all rows, or the sound rows as an explicit choice. Thin:
validated input → `owners.import_runs` / `owners.importing` → page."""

from __future__ import annotations

import os
from io import BytesIO
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.common.text import filename_safe
from estatedesk.org.permissions import can_anywhere, require
from estatedesk.org.selectors import project_get_for_user
from estatedesk.owners import import_runs, importing, selectors, spreadsheet
from estatedesk.owners.choices import ImportStatus
from estatedesk.owners.models import ImportBatch
from estatedesk.owners.problem_rows import problem_rows_download

MAX_ON_SCREEN = 500
RECENT_BATCHES = 10
ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("At most %(size)s and %(rows)s rows.") % {
            "size": spreadsheet.size_label(),
            "rows": f"{spreadsheet.MAX_ROWS:,}",
        }
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > spreadsheet.MAX_FILE_BYTES:
            raise forms.ValidationError(spreadsheet.too_large_message())
        upload.seek(0)
        head = upload.read(4)
        upload.seek(0)
        if not (upload.name or "").lower().endswith(".xlsx") or head != ZIP_MAGIC:
            raise forms.ValidationError(
                _("This is not an Excel workbook (.xlsx). Save the file as .xlsx and upload it again.")
            )
        return upload


class ImportCommitForm(forms.Form):
    """All rows of a clean file; or, as an explicit choice, the sound rows of a file with problems."""

    rows = forms.ChoiceField(choices=[("all", "all"), ("sound", "sound")], initial="all")
    skip_confirmed = forms.BooleanField(
        required=False, label=gettext_lazy("Yes, leave the rows with problems out of this import")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("rows") == "sound" and not data.get("skip_confirmed"):
            raise forms.ValidationError(
                _("Tick the box to confirm that the rows with problems are left out of this import.")
            )
        return data


def _batch_for(request: HttpRequest, pk: int) -> ImportBatch:
    batch = get_for_user_or_404(
        ImportBatch.objects.select_related("project", "created_by", "committed_by"), user=request.user, pk=pk
    )
    require(request.user, "owners.import", project=batch.project)
    return batch


@login_required
def import_template(request: HttpRequest) -> FileResponse:
    if not can_anywhere(request.user, "owners.import"):
        raise PermissionDenied
    return FileResponse(
        BytesIO(spreadsheet.template_workbook()), as_attachment=True, filename="业户档案导入模板.xlsx"
    )


@login_required
def import_upload(request: HttpRequest, code: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, code=code)
    require(request.user, "owners.import", project=project)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = import_runs.import_start(
            actor=request.user, project=project, upload=upload, filename=upload.name or ""
        )
        return redirect("owners:import_detail", pk=batch.pk)
    batches = selectors.import_batches(user=request.user, project=project, limit=RECENT_BATCHES)
    return render(
        request,
        "owners/import_upload.html",
        {"project": project, "form": form, "batches": batches, "max_rows": spreadsheet.MAX_ROWS},
    )


def _column_label(key: str) -> str:
    column = spreadsheet.COLUMN_BY_KEY.get(key)
    return f"{column.zh} ({column.en})" if column else key


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    problems = batch.problems[:MAX_ON_SCREEN]
    layout = batch.layout or {}
    sound_rows = importing.sound_row_count(batch)
    return render(
        request,
        "owners/import_detail.html",
        {
            "batch": batch,
            "project": batch.project,
            "problems": problems,
            "more_problems": batch.problem_count - len(problems),
            "is_validated": batch.status == ImportStatus.VALIDATED and not batch.is_running,
            "is_committed": batch.status == ImportStatus.COMMITTED,
            "is_running": batch.is_running,
            "has_failed": batch.phase == ImportBatch.Phase.FAILED,
            "layout": layout,
            "mapping": [
                {"header": column["header"], "label": _column_label(column["column"])}
                for column in layout.get("columns", [])
            ],
            "sound_rows": sound_rows,
            "has_problem_rows": importing.has_problem_rows(batch),
            "skipped_rows": len(batch.problem_rows) if batch.sound_rows_only else 0,
            "imported_rows": batch.row_count - len(batch.problem_rows)
            if batch.sound_rows_only
            else batch.row_count,
            "commit_form": ImportCommitForm(),
        },
    )


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the detail page polls every second while the worker runs; once it is done,
    htmx reloads the page (HX-Refresh)."""
    batch = _batch_for(request, pk)
    response = render(request, "owners/_import_progress.html", {"batch": batch})
    if not batch.is_running:
        response["HX-Refresh"] = "true"
    return response


@login_required
def import_problems(request: HttpRequest, pk: int) -> FileResponse:
    """The rows with problems, their cells as they were and a "问题 Problem" column: to correct and upload."""
    batch = _batch_for(request, pk)
    if not importing.has_problem_rows(batch):
        raise Http404
    path = problem_rows_download(actor=request.user, batch=batch)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    stem = os.path.splitext(filename_safe(batch.filename))[0] or "import"  # no control or bidi characters
    return FileResponse(handle, as_attachment=True, filename=f"{stem}-problems.xlsx")


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    form = ImportCommitForm(request.POST or {"rows": "all"})
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, str(error))
        return redirect("owners:import_detail", pk=batch.pk)
    try:
        batch = import_runs.import_commit_start(
            actor=request.user,
            batch=batch,
            base_url=request.build_absolute_uri("/"),
            sound_rows_only=form.cleaned_data["rows"] == "sound",
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        _tell(request, batch)
    return redirect("owners:import_detail", pk=batch.pk)


def _tell(request: HttpRequest, batch: ImportBatch) -> None:
    if batch.is_running:
        messages.info(request, _("The import has started; this page shows how far it has got."))
    elif batch.status == ImportStatus.COMMITTED and batch.sound_rows_only:
        imported = batch.row_count - len(batch.problem_rows)
        messages.success(
            request,
            ngettext(
                "Imported %(rows)d row; the rows with problems were left out.",
                "Imported %(rows)d rows; the rows with problems were left out.",
                imported,
            )
            % {"rows": imported},
        )
    elif batch.status == ImportStatus.COMMITTED:
        messages.success(
            request,
            ngettext("Imported %(rows)d row.", "Imported %(rows)d rows.", batch.row_count)
            % {"rows": batch.row_count},
        )
    else:
        messages.error(
            request, _("The archive has changed since the check; nothing was imported. See the problems.")
        )
