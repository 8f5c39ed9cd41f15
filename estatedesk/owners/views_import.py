"""The owner-archive Excel import pages (R-OA-2): the template, the upload (a dry run), the report with
every problem, and the import itself. Thin: validated input → `owners.importing` → page."""

from __future__ import annotations

import os
from io import BytesIO
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.excel import write_workbook
from estatedesk.common.scoping import get_for_user_or_404
from estatedesk.org.permissions import can_anywhere, require
from estatedesk.org.selectors import project_get_for_user
from estatedesk.owners import importing, selectors, spreadsheet
from estatedesk.owners.choices import ImportStatus
from estatedesk.owners.models import ImportBatch

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


def _batch_for(request: HttpRequest, pk: int) -> ImportBatch:
    batch = get_for_user_or_404(
        ImportBatch.objects.select_related("project", "created_by"), user=request.user, pk=pk
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
        batch = importing.import_check(
            actor=request.user, project=project, path_or_file=upload, filename=upload.name or ""
        )
        return redirect("owners:import_detail", pk=batch.pk)
    batches = selectors.import_batches(user=request.user, project=project, limit=RECENT_BATCHES)
    return render(
        request,
        "owners/import_upload.html",
        {"project": project, "form": form, "batches": batches, "max_rows": spreadsheet.MAX_ROWS},
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    problems = batch.problems[:MAX_ON_SCREEN]
    return render(
        request,
        "owners/import_detail.html",
        {
            "batch": batch,
            "project": batch.project,
            "problems": problems,
            "more_problems": batch.problem_count - len(problems),
            "is_validated": batch.status == ImportStatus.VALIDATED,
            "is_committed": batch.status == ImportStatus.COMMITTED,
        },
    )


@login_required
def import_problems(request: HttpRequest, pk: int) -> FileResponse:
    batch = _batch_for(request, pk)
    rows = (
        [problem["row"] or "", problem["column"], problem["message"]]
        for problem in importing.import_problem_list(batch=batch)
    )
    path = write_workbook(
        title=_("Problems"),
        headers=[_("Row"), _("Column"), _("Problem")],
        rows=rows,
        column_widths=[8, 16, 80],
    )
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    stem = os.path.splitext(batch.filename)[0] or "import"
    return FileResponse(handle, as_attachment=True, filename=f"{stem}-problems.xlsx")


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    try:
        batch = importing.import_commit(
            actor=request.user, batch=batch, base_url=request.build_absolute_uri("/")
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if batch.status == ImportStatus.COMMITTED:
            messages.success(
                request,
                ngettext("Imported %(rows)d row.", "Imported %(rows)d rows.", batch.row_count)
                % {"rows": batch.row_count},
            )
        else:
            messages.error(
                request, _("The archive has changed since the check; nothing was imported. See the problems.")
            )
    return redirect("owners:import_detail", pk=batch.pk)
