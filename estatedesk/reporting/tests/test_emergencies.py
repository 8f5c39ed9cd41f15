"""R-IR-4: the class proposed from an event's facts, on the seed's examples (pure, no database); R-CS-4:
the project manager is told of every emergency; a person confirms the class or overrides it with a
reason; the 24-hour clock of a class-1 event; class-2 events in the monthly business report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import translation

from estatedesk.common.errors import DomainError
from estatedesk.notifications.models import Notification
from estatedesk.reporting import submissions
from estatedesk.reporting.choices import EmergencyClass, SubmissionStatus, UpdateKind
from estatedesk.reporting.emergencies import Facts, propose_class, reason_texts
from estatedesk.reporting.tests.test_submissions_helpers import expected, hq_setup, local

THRESHOLD = Decimal(3000)
CLASS_1, CLASS_2 = EmergencyClass.CLASS_1, EmergencyClass.CLASS_2


@pytest.fixture(autouse=True)
def english():
    """Messages and notifications in English, as the assertions read them."""
    with translation.override("en"):
        yield


@pytest.fixture
def hq_world(world):
    return hq_setup(world)


def proposed(**facts):
    return propose_class(Facts(**facts), loss_threshold=THRESHOLD)


# --- the proposal (pure) ----------------------------------------------------------------------------------


def test_ir_4_loss_of_2999_99_is_class_2_and_3000_exactly_is_class_1():
    assert proposed(loss_yuan=Decimal("2999.99")) == (CLASS_2, ["other"])
    assert proposed(loss_yuan=Decimal("3000.00")) == (CLASS_1, ["loss"])
    assert proposed(loss_yuan=Decimal("3000.01")) == (CLASS_1, ["loss"])


def test_ir_4_the_loss_threshold_is_data():
    facts = Facts(loss_yuan=Decimal(3000))
    assert propose_class(facts, loss_threshold=Decimal(5000)) == (CLASS_2, ["other"])
    assert propose_class(facts, loss_threshold=Decimal(2000)) == (CLASS_1, ["loss"])


def test_ir_4_theft_is_class_1_but_an_attempted_theft_alone_is_class_2():
    assert proposed(theft=True) == (CLASS_1, ["theft"])
    assert proposed(theft=True, theft_attempted_only=True) == (CLASS_2, ["theft_attempted_only"])
    assert proposed(theft_attempted_only=True) == (CLASS_2, ["theft_attempted_only"])
    # an attempted theft that is also a criminal case, or did damage of 3,000 yuan, is class 1 by those
    assert proposed(theft=True, theft_attempted_only=True, criminal_case=True) == (CLASS_1, ["criminal_case"])
    assert proposed(theft_attempted_only=True, loss_yuan=Decimal(3000)) == (CLASS_1, ["loss"])


def test_ir_4_a_negative_media_report_is_class_1():
    assert proposed(negative_media=True) == (CLASS_1, ["negative_media"])


@pytest.mark.parametrize(
    "fact",
    [
        "fire_or_explosion",
        "abnormal_injury_or_death",
        "criminal_case",
        "public_security",
        "accident_or_disaster",
    ],
)
def test_ir_4_fire_explosion_injury_death_criminal_and_public_security_cases_are_class_1(fact):
    assert proposed(**{fact: True}) == (CLASS_1, [fact])


def test_ir_4_anything_else_is_class_2_even_when_prevented_and_reasons_are_all_given():
    assert proposed() == (CLASS_2, ["other"])
    assert proposed(prevented=True) == (CLASS_2, ["prevented"])
    assert proposed(fire_or_explosion=True, negative_media=True, loss_yuan=Decimal(8000)) == (
        CLASS_1,
        ["fire_or_explosion", "loss", "negative_media"],
    )


def test_ir_4_reasons_in_words_and_facts_from_posted_values():
    assert reason_texts(["loss", "theft"], loss_threshold=THRESHOLD) == [
        "property loss of 3,000 yuan or more",
        "a theft",
    ]
    facts = Facts.from_json({"theft": "on", "loss_yuan": "12.5", "prevented": "", "unknown": "1"})
    assert facts == Facts(theft=True, loss_yuan=Decimal("12.5"))
    assert Facts.from_json({"loss_yuan": "lots"}).loss_yuan == Decimal(0)
    assert Facts.from_json(facts.as_json()) == facts


# --- filing an emergency -----------------------------------------------------------------------------------


def report(world, *, actor=None, occurred_at=None, **values):
    return submissions.instant_report_make(
        actor=actor or world.supervisor_a,
        report=submissions.EventReport(
            information_type=values.pop("information_type", world.emergency),
            project=values.pop("project", world.project_a),
            occurred_at=occurred_at or local(2026, 12, 2, 8, 0),
            title=values.pop("title", "3号楼地下室起火"),
            body="配电箱冒烟起火，已扑灭。",
            place="3号楼地下室",
            facts=values.pop("facts", Facts(fire_or_explosion=True)),
            values=values.pop("values", {"what_happened": "配电箱短路起火"}),
            **values,
        ),
    )


def test_ir_4_the_24_hour_clock_due_at_the_event_plus_24_hours(hq_world):
    world = hq_world
    with time_machine.travel(local(2026, 12, 3, 7, 59, 59), tick=False):
        on_time = report(world)
    with time_machine.travel(local(2026, 12, 3, 8, 0, 1), tick=False):
        late = report(world, title="二次起火")
    assert on_time.due_at == local(2026, 12, 3, 8, 0) == late.due_at
    assert on_time.reference == "IR-QD-A-20261202-001"
    assert late.reference == "IR-QD-A-20261202-002"
    assert (on_time.status, on_time.first_submitted_at) == (
        SubmissionStatus.SUBMITTED,
        local(2026, 12, 3, 7, 59, 59),
    )
    assert submissions.is_on_time(on_time) is True
    assert submissions.is_on_time(late) is False
    assert on_time.proposed_class == CLASS_1


def test_ir_4_the_hours_are_configurable(hq_world):
    world = hq_world
    world.rules.at_once_hours = 12
    world.rules.save()
    with time_machine.travel(local(2026, 12, 2, 19, 0), tick=False):
        submission = report(world)
    assert submission.due_at == local(2026, 12, 2, 20, 0)
    world.emergency.deadline_hours = 48  # a type's own hours come first
    world.emergency.save()
    with time_machine.travel(local(2026, 12, 2, 19, 0), tick=False):
        assert report(world).due_at == local(2026, 12, 4, 8, 0)


def test_cs_4_the_project_manager_is_told_of_a_general_emergency(hq_world):
    world = hq_world
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        minor = report(world, facts=Facts(prevented=True), title="水管爆裂，及时关阀")
    assert minor.proposed_class == CLASS_2
    told = Notification.objects.filter(url=submissions.submission_url(minor))
    assert set(told.values_list("user__username", flat=True)) == {"pm_a"}  # class 2: not HQ's yet
    assert told.get().title == "Emergency at 海景花园: 水管爆裂，及时关阀"
    major = report(world)
    told = Notification.objects.filter(url=submissions.submission_url(major))
    assert set(told.values_list("user__username", flat=True)) == {"pm_a", "hq"}


def test_ir_4_a_person_confirms_or_overrides_with_a_reason(hq_world):
    world = hq_world
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        submission = report(world, facts=Facts(theft=True, theft_attempted_only=True))
    assert submission.proposed_class == CLASS_2
    with pytest.raises(PermissionDenied):  # the CS supervisor reports; the project manager classifies
        submissions.class_confirm(actor=world.supervisor_a, submission=submission, chosen=CLASS_2)
    with pytest.raises(DomainError) as refused:
        submissions.class_confirm(actor=world.pm_a, submission=submission, chosen=CLASS_1, reason="  ")
    assert refused.value.code == "reporting.class_reason_required"
    assert set(refused.value.fields) == {"reason"}
    submission.refresh_from_db()
    assert submission.confirmed_class == ""

    confirmed = submissions.class_confirm(
        actor=world.pm_a, submission=submission, chosen=CLASS_1, reason="嫌疑人携刀，属刑事案件"
    )
    assert (confirmed.confirmed_class, confirmed.class_reason, confirmed.class_confirmed_by) == (
        CLASS_1,
        "嫌疑人携刀，属刑事案件",
        world.pm_a,
    )
    assert Notification.objects.filter(user=world.hq, title__contains="is a class-1 emergency").count() == 1
    update = confirmed.updates.get(kind=UpdateKind.CLASS_SET)
    assert update.values == {"class": CLASS_1, "proposed": CLASS_2}
    # confirming the proposal needs no reason (and keeps none)
    again = submissions.class_confirm(
        actor=world.pm_a, submission=confirmed, chosen=CLASS_2, reason="ignored"
    )
    assert (again.confirmed_class, again.class_reason) == (CLASS_2, "")


def test_ir_4_the_class_given_when_reporting_needs_the_right_and_the_reason(hq_world):
    world = hq_world
    with pytest.raises(PermissionDenied):
        report(world, class_choice=submissions.ClassChoice(chosen=CLASS_1))
    with pytest.raises(DomainError) as refused:
        report(world, actor=world.pm_a, class_choice=submissions.ClassChoice(chosen=CLASS_2))
    assert refused.value.code == "reporting.class_reason_required"
    submission = report(world, actor=world.pm_a, class_choice=submissions.ClassChoice(chosen=CLASS_1))
    assert (submission.proposed_class, submission.confirmed_class) == (CLASS_1, CLASS_1)
    assert list(submission.updates.values_list("kind", flat=True)) == [UpdateKind.FIRST, UpdateKind.CLASS_SET]


def test_ir_4_follow_ups_and_the_final_report_on_the_same_report(hq_world):
    world = hq_world
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        submission = report(world)
    with time_machine.travel(local(2026, 12, 2, 15, 0), tick=False):
        submissions.follow_up_add(
            actor=world.supervisor_a, submission=submission, kind=UpdateKind.FOLLOW_UP, text="消防到场勘查"
        )
    with time_machine.travel(local(2026, 12, 4, 10, 0), tick=False):
        submissions.follow_up_add(
            actor=world.pm_a, submission=submission, kind=UpdateKind.FINAL, text="损失核定2万元，已理赔"
        )
    with pytest.raises(DomainError) as refused:
        submissions.follow_up_add(
            actor=world.pm_a, submission=submission, kind=UpdateKind.FOLLOW_UP, text="x"
        )
    assert refused.value.code == "reporting.final_given"
    submission.refresh_from_db()
    assert submission.final_at == local(2026, 12, 4, 10, 0)
    assert [(u.kind, u.text) for u in submission.updates.order_by("at")] == [
        (UpdateKind.FIRST, "配电箱冒烟起火，已扑灭。"),
        (UpdateKind.FOLLOW_UP, "消防到场勘查"),
        (UpdateKind.FINAL, "损失核定2万元，已理赔"),
    ]
    assert type(submission).objects.filter(occurred_at__isnull=False).count() == 1  # one report
    assert Notification.objects.filter(user=world.hq, title__startswith="Final report on").count() == 1
    with pytest.raises(PermissionDenied):
        submissions.follow_up_add(
            actor=world.outsider, submission=submission, kind=UpdateKind.FOLLOW_UP, text="x"
        )


def test_ir_4_class_2_events_go_into_the_monthly_business_report_of_their_month(hq_world):
    world = hq_world
    with time_machine.travel(local(2026, 11, 21, 9, 0), tick=False):
        in_november = report(world, facts=Facts(prevented=True), occurred_at=local(2026, 11, 20, 8, 0))
        report(world, occurred_at=local(2026, 11, 21, 8, 0))  # class 1: reported on its own
    with time_machine.travel(local(2026, 12, 1, 9, 0), tick=False):
        report(world, facts=Facts(prevented=True), occurred_at=local(2026, 12, 1, 0, 0))  # December's
    monthly = expected(world)  # branch A's November report
    assert submissions.class_2_events_for(monthly) == [in_november]
    other_branch = expected(world, branch=world.branch_b)
    assert submissions.class_2_events_for(other_branch) == []
    assert submissions.class_2_events_for(in_november) == []


def test_ir_4_an_event_in_the_future_or_of_an_expected_type_is_refused(hq_world):
    world = hq_world
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        with pytest.raises(DomainError) as future:
            report(world, occurred_at=local(2026, 12, 2, 9, 0) + timedelta(hours=1))
        with pytest.raises(DomainError) as periodic:
            report(world, information_type=world.monthly)
    assert future.value.code == "reporting.occurred_at"
    assert periodic.value.code == "reporting.type_expected"
    with pytest.raises(PermissionDenied):
        report(world, actor=world.outsider)
