"""Tasks run by the fault tests' workers: each run leaves an audit row, so a test counts the runs."""

from django.tasks import task

from estatedesk.common.models import AuditEntry


@task()
def record(label: str) -> str:
    AuditEntry.objects.create(action="create", object_type="test.fault", object_id=label, object_repr=label)
    return label


def runs(label: str | None = None) -> list[str]:
    rows = AuditEntry.objects.filter(object_type="test.fault").order_by("id")
    if label is not None:
        rows = rows.filter(object_id=label)
    return list(rows.values_list("object_id", flat=True))
