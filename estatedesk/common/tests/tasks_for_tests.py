"""Tasks used only by the scheduler tests."""

from django.tasks import task

from estatedesk.common.models import AuditEntry


@task(queue_name="periodic")
def record_run(label: str = "run") -> None:
    AuditEntry.objects.create(action="create", object_type="test.run", object_id=label, object_repr=label)
