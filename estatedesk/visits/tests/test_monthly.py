"""R-FB-6: the monthly return-visit list: last calendar month in Asia/Shanghai by when the feedback was
given, one visit per customer, minus what was visited, per-category policies, visitors in turn, due in
working days, made once (a rerun adds nothing), and the periodic job on the 1st at 08:00."""

from __future__ import annotations

from datetime import date

from estatedesk.common.scheduling import periodic_jobs
from estatedesk.feedback.choices import Category, Channel
from estatedesk.feedback.services import feedback_item_rate
from estatedesk.feedback.tests.helpers import local, register, walk
from estatedesk.owners.models import Resident
from estatedesk.visits.choices import Grade, Purpose, VisitRule, VisitStatus
from estatedesk.visits.models import ReturnVisit, VisitPolicy, VisitRules
from estatedesk.visits.monthly import (
    customer_key,
    monthly_list_make,
    monthly_lists_make_all,
    normalised_phone,
    sampled,
)
from estatedesk.visits.services import return_visit_arrange, return_visit_grade
from estatedesk.visits.tests.helpers import result

OCTOBER = date(2026, 10, 1)
LIST_MADE = local(2026, 11, 1, 8, 0)  # the job's time: the 1st at 08:00


def call(world, phone: str, at, **values):
    """An item of a caller without an archive entry, registered by agent_a at `at`."""
    return register(
        world, resident=None, contact_phone=phone, contact_name="来电人", registered_at=at, **values
    )


def listed_keys(project=None, month=OCTOBER) -> list[str]:
    rows = ReturnVisit.objects.filter(purpose=Purpose.MONTHLY, month=month)
    if project is not None:
        rows = rows.filter(project=project)
    return sorted(rows.values_list("customer_key", flat=True))


def test_r_fb_6_the_month_ends_at_midnight_in_shanghai(visiting):
    last_second = call(visiting, "13900000001", local(2026, 10, 31, 23, 59).replace(second=59))
    first_second = call(visiting, "13900000002", local(2026, 11, 1, 0, 0))
    first_of_october = call(visiting, "13900000003", local(2026, 10, 1, 0, 0))

    october = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    assert sorted(v.item_id for v in october) == sorted([last_second.pk, first_of_october.pk])
    november = monthly_list_make(
        project=visiting.project_a, month=date(2026, 11, 1), now=local(2026, 12, 1, 8)
    )
    assert [v.item_id for v in november] == [first_second.pk]


def test_r_fb_6_an_item_handled_and_closed_late_is_listed_by_when_feedback_was_given(visiting):
    resident = Resident.objects.get(user=visiting.owner_a)
    item = register(
        visiting, resident=resident, unit=visiting.unit_a, registered_at=local(2026, 10, 31, 23, 0)
    )
    item = walk(visiting, item, until="close")  # handled and closed now, weeks after October

    october = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)
    november = monthly_list_make(
        project=visiting.project_a, month=date(2026, 11, 1), now=local(2026, 12, 1, 8)
    )

    assert item.closed_at > local(2026, 11, 1)
    assert [v.item_id for v in october] == [item.pk]
    assert november == []


def test_r_fb_6_one_visit_per_customer_covering_their_items_of_the_month(visiting):
    resident = Resident.objects.get(user=visiting.owner_a)
    first = register(visiting, resident=resident, unit=visiting.unit_a, registered_at=local(2026, 10, 3, 9))
    latest = register(visiting, resident=resident, unit=visiting.unit_a, registered_at=local(2026, 10, 20, 9))
    by_phone = call(visiting, "+86 139-1234-5678", local(2026, 10, 5, 9))
    same_phone = call(visiting, "13912345678", local(2026, 10, 6, 9))

    made = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    by_key = {visit.customer_key: visit for visit in made}
    assert sorted(by_key) == ["p:13912345678", f"r:{resident.pk}"]
    owner_visit = by_key[f"r:{resident.pk}"]
    assert owner_visit.item_id == latest.pk
    assert sorted(owner_visit.covered_items.values_list("pk", flat=True)) == sorted([first.pk, latest.pk])
    assert owner_visit.customer_name == "沈业主"
    assert owner_visit.customer_phone == "13800001234"  # from the archive: the item had none
    assert sorted(by_key["p:13912345678"].covered_items.values_list("pk", flat=True)) == sorted(
        [by_phone.pk, same_phone.pk]
    )


def test_r_fb_6_customer_keys_resident_then_phone_then_the_item():
    assert customer_key(resident_id=7, phone="13900000000", item_id=3) == "r:7"
    assert customer_key(resident_id=None, phone="0086 13900000000", item_id=3) == "p:13900000000"
    assert customer_key(resident_id=None, phone="", item_id=3) == "i:3"
    assert normalised_phone("0532-8000 1001") == "053280001001"


def test_r_fb_6_minus_what_was_visited_already(visiting):
    item = walk(visiting, call(visiting, "13900000011", local(2026, 10, 8, 9)), until="inform_customer")
    other = call(visiting, "13900000012", local(2026, 10, 9, 9))
    visit = return_visit_arrange(
        actor=visiting.supervisor_a, purpose=Purpose.AD_HOC, project=visiting.project_a, item=item
    )
    return_visit_grade(actor=visiting.visitor_a, visit=visit, result=result(Grade.A))

    made = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    assert [v.item_id for v in made] == [other.pk]


def test_r_fb_6_cancelled_items_and_patrol_findings_are_not_listed(visiting):
    cancelled = call(visiting, "13900000021", local(2026, 10, 8, 9))
    from estatedesk.feedback.services import feedback_item_step

    feedback_item_step(
        actor=visiting.pm_a, item=cancelled, step="cancel", version=cancelled.version, note="重复"
    )
    register(
        visiting,
        actor=visiting.dept_supervisor_a,
        channel=Channel.PATROL,
        category=Category.CLEANING,
        registered_at=local(2026, 10, 9, 9),
    )

    assert monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE) == []


def test_r_fb_6_policies_never_and_skip_if_rated(visiting):
    VisitPolicy.objects.create(company=visiting.company, category=Category.FEES, rule=VisitRule.NEVER)
    VisitPolicy.objects.create(
        company=visiting.company, category=Category.ENGINEERING, rule=VisitRule.SKIP_IF_RATED
    )
    call(visiting, "13900000031", local(2026, 10, 8, 9), category=Category.FEES)
    resident = Resident.objects.get(user=visiting.owner_a)
    rated = register(visiting, resident=resident, unit=visiting.unit_a, registered_at=local(2026, 10, 9, 9))
    rated = walk(visiting, rated, until="inform_customer")
    feedback_item_rate(actor=visiting.owner_a, item=rated, rating="A")
    unrated = call(visiting, "13900000032", local(2026, 10, 10, 9))

    made = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    assert [v.item_id for v in made] == [unrated.pk]


def test_r_fb_6_a_sample_is_the_same_on_every_run(visiting):
    VisitPolicy.objects.create(
        company=visiting.company, category=Category.ENGINEERING, rule=VisitRule.SAMPLE, sample_percent=50
    )
    phones = [f"1390000{n:04d}" for n in range(40)]
    for n, phone in enumerate(phones):
        call(visiting, phone, local(2026, 10, 1 + n % 28, 9))
    expected = sorted(
        f"p:{phone}"
        for phone in phones
        if sampled(project_id=visiting.project_a.pk, month=OCTOBER, key=f"p:{phone}", percent=50)
    )

    monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)
    ReturnVisit.objects.all().delete()
    monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    assert listed_keys() == expected
    assert 10 < len(expected) < 30  # a sample, neither all nor none


def test_r_fb_6_visitors_in_turn_among_those_who_may_visit(visiting):
    for n in range(5):
        call(visiting, f"1390000010{n}", local(2026, 10, 10 + n, 9))

    made = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    # agent_a registered every item (barred); supervisor_a, visitor_a and visitor_b take turns
    assert [visit.visitor.username for visit in made] == [
        "supervisor_a",
        "visitor_a",
        "visitor_b",
        "supervisor_a",
        "visitor_a",
    ]


def test_r_fb_6_the_registrant_takes_turns_when_the_company_lets_them(visiting):
    VisitRules.objects.create(company=visiting.company, registrant_may_visit=True)
    for n in range(2):
        call(visiting, f"1390000020{n}", local(2026, 10, 10 + n, 9))

    made = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    assert [visit.visitor.username for visit in made] == ["agent_a", "supervisor_a"]


def test_r_fb_6_a_customer_nobody_may_visit_is_listed_unassigned(visiting):
    for user in ("supervisor_a", "visitor_a", "visitor_b"):
        visiting.users[user].memberships.update(is_active=False)
    call(visiting, "13900000301", local(2026, 10, 10, 9))

    made = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    assert [(visit.visitor, visit.status) for visit in made] == [(None, VisitStatus.DUE)]


def test_r_fb_6_due_at_the_close_of_the_fifth_working_day(visiting):
    call(visiting, "13900000401", local(2026, 10, 10, 9))

    (visit,) = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    # the service centre is open 08:00-20:00 every day: the 1st counts, so the 5th at 20:00
    assert (visit.due_at, visit.escalation_due_at) == (local(2026, 11, 5, 20), local(2026, 11, 5, 20))


def test_r_fb_6_made_once_a_rerun_adds_only_new_customers(visiting):
    call(visiting, "13900000501", local(2026, 10, 10, 9))
    first = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    again = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)
    late = call(visiting, "13900000502", local(2026, 10, 11, 9))
    after = monthly_list_make(project=visiting.project_a, month=OCTOBER, now=LIST_MADE)

    assert len(first) == 1
    assert again == []
    assert [v.item_id for v in after] == [late.pk]
    assert ReturnVisit.objects.filter(purpose=Purpose.MONTHLY).count() == 2


def test_r_fb_6_the_job_lists_last_month_for_every_active_project_on_the_1st_at_8(visiting):
    call(visiting, "13900000601", local(2026, 10, 10, 9))
    call(visiting, "13900000602", local(2026, 11, 1, 7, 0))  # this month: next month's list
    visiting.project_a2.is_active = False
    visiting.project_a2.save(update_fields=["is_active"])

    totals = monthly_lists_make_all(now=local(2026, 11, 1, 8, 0))

    assert totals == {"projects": 2, "visits": 1, "failed": 0}
    assert listed_keys(visiting.project_a) == ["p:13900000601"]
    assert str(periodic_jobs()["visits.monthly_list"].rule) == "monthly on day 1 at 08:00"
