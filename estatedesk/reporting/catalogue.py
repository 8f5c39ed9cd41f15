"""The catalogue of information reported to HQ (R-IR-3) and its unified formats (R-IR-5).

- `catalogue_ensure(company=)` seeds the procedure's table (物业各类信息内容列表) as `InformationType` rows:
  class, content description (内容描述), scope (范围), deadline rule and numbers; a first template version
  for each; the company's `ReportingRules` ("at once" = 24 h, reminders 3 and 1 days before, escalation
  the day after); the quality rubric (优 100, 良 80, 中 60, 差 40). Idempotent: it adds what is missing
  and never overwrites HQ's edits.
- HQ edits a type (`information_type_update`) and its template (`template_new_version`): a template is
  never changed in place; editing it makes the next version, and a report keeps the version it was
  filled in (`ReportSubmission.template`).
- `required_fields(template)` / `current_template(type)`: what submissions check and start from.
- `deadline_words(type, rules)`: the deadline as the catalogue page says it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from estatedesk.common.audit import audit_record, model_changes
from estatedesk.common.errors import DomainError
from estatedesk.common.models import AuditEntry
from estatedesk.org.models import Company
from estatedesk.org.permissions import require
from estatedesk.reporting.choices import DeadlineRule, InfoClass, ReportingScope, Special
from estatedesk.reporting.models import InformationType, QualityLevel, ReportingRules, ReportTemplate
from estatedesk.reporting.selectors import rules_for_company


class FieldKind(models.TextChoices):
    """Kinds of a template's fields."""

    TEXT = "text", gettext_lazy("Free text")
    NUMBER = "number", gettext_lazy("Number")
    MONEY = "money", gettext_lazy("Amount of money")
    DATE = "date", gettext_lazy("Date")
    CHOICE = "choice", gettext_lazy("Choice")
    YES_NO = "yes_no", gettext_lazy("Yes or no")


KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 40
MAX_ATTACHMENTS = 10
MAX_HOURS = 24 * 30
PERIODIC_RULES = frozenset(
    {DeadlineRule.MONTHLY_BY_DAY, DeadlineRule.YEARLY_BY_DAY, DeadlineRule.YEARLY_IN_MONTH}
)


# --- the seed's table -----------------------------------------------------------------------------------


def _f(
    key: str,
    label: str,
    label_en: str,
    kind: str = "text",
    *,
    required: bool = True,
    unit: str = "",
    choices: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "label_en": label_en,
        "type": kind,
        "required": required,
        "unit": unit,
        "choices": list(choices),
    }


@dataclass(frozen=True)
class SeedType:
    code: str
    name: str
    name_en: str
    info_class: str
    content: str  # 内容描述
    scope: str
    scope_note: str  # 范围, as the procedure says
    deadline_rule: str
    fields: tuple[dict[str, Any], ...]
    deadline_day: int | None = None
    deadline_month: int | None = None
    deadline_hours: int | None = None
    every_days: int | None = None
    special: str = ""
    is_expected: bool = False
    attachments_required: int = 0
    attachment_note: str = ""


SUPPLEMENT = "见信息管理办法补充规定"
SEED: tuple[SeedType, ...] = (
    SeedType(
        "monthly_business",
        "物业公司月报",
        "Monthly business report",
        InfoClass.PERIODIC,
        "各地物业公司业务动态",
        ReportingScope.BRANCH,
        "各地业务管理情况、客户投诉及突发事件等",
        DeadlineRule.MONTHLY_BY_DAY,
        (
            _f("managed_area", "管理面积", "Managed area", "number", unit="m²"),
            _f("projects_in_service", "在管项目数", "Projects in service", "number"),
            _f("operations", "业务管理情况", "Operations"),
            _f("complaints_received", "客户投诉数", "Complaints received", "number"),
            _f("complaints_handled", "已处理投诉数", "Complaints handled", "number"),
            _f("class2_events", "二类突发事件数", "Class-2 emergencies", "number"),
            _f(
                "class2_events_note",
                "突发事件(二类)说明",
                "Class-2 emergencies: what happened",
                required=False,
            ),
            _f("next_month_focus", "下月工作重点", "Focus of the next month", required=False),
        ),
        deadline_day=10,
        special=Special.BUSINESS,
        is_expected=True,
    ),
    SeedType(
        "monthly_finance",
        "物业财务信息月报",
        "Monthly financial report",
        InfoClass.PERIODIC,
        "各地物业公司财务状况",
        ReportingScope.BRANCH,
        "各地物业公司月度财务报表",
        DeadlineRule.MONTHLY_BY_DAY,
        (
            _f("revenue", "营业收入", "Revenue", "money", unit="元"),
            _f("expenses", "营业支出", "Expenses", "money", unit="元"),
            _f("fee_collection_rate", "物业费收缴率", "Fee collection rate", "number", unit="%"),
            _f("receivables", "应收账款", "Receivables", "money", required=False, unit="元"),
            _f("note", "说明", "Notes", required=False),
        ),
        deadline_day=10,
        is_expected=True,
        attachments_required=1,
        attachment_note="月度财务报表",
    ),
    SeedType(
        "litigation",
        "法律诉讼",
        "Litigation",
        InfoClass.INSTANT,
        "即将或已发生的法律诉讼事件",
        ReportingScope.BRANCH,
        SUPPLEMENT,
        DeadlineRule.WITHIN_HOURS,
        (
            _f("cause", "案由", "Cause of action"),
            _f("parties", "当事人", "Parties"),
            _f("stage", "进展", "Stage", "choice", choices=("即将发生", "已立案", "审理中", "已结案")),
            _f("amount", "涉案金额", "Amount at stake", "money", required=False, unit="元"),
            _f("measures", "应对措施", "Measures", required=False),
        ),
    ),
    SeedType(
        "media_exposure",
        "媒体曝光",
        "Negative media exposure",
        InfoClass.INSTANT,
        "即将或已发生的媒体负面报道",
        ReportingScope.BRANCH,
        SUPPLEMENT,
        DeadlineRule.WITHIN_HOURS,
        (
            _f("media", "媒体", "Media"),
            _f("published_on", "报道日期", "Published on", "date", required=False),
            _f("summary", "报道内容", "What was reported"),
            _f("response", "应对措施", "Response"),
        ),
    ),
    SeedType(
        "major_complaint",
        "重大、热点投诉",
        "Major or hot complaint",
        InfoClass.INSTANT,
        "投诉事由、事态进展情况",
        ReportingScope.PROJECT,
        SUPPLEMENT,
        DeadlineRule.WITHIN_HOURS,
        (
            _f("cause", "投诉事由", "Cause of the complaint"),
            _f("progress", "事态进展", "Progress"),
            _f("is_hot", "热点投诉", "Hot complaint", "yes_no", required=False),
            _f("feedback_reference", "客户信息编号", "Feedback item", required=False),
        ),
        special=Special.COMPLAINT,
    ),
    SeedType(
        "move_in",
        "入住快报",
        "Move-in bulletin",
        InfoClass.INSTANT,
        "集中办理入住期间的相关情况、存在或可能引发的问题",
        ReportingScope.PROJECT,
        "集中办理入住期间每天上报,当天入住量少或无重大问题时,至少5天报一次",
        DeadlineRule.DAILY,
        (
            _f("day", "日期", "Date", "date"),
            _f("moved_in_today", "当日入住户数", "Households moved in that day", "number", unit="户"),
            _f("moved_in_total", "累计入住户数", "Households moved in so far", "number", unit="户"),
            _f("issues", "存在或可能引发的问题", "Problems, present or possible", required=False),
        ),
        every_days=5,
        special=Special.MOVE_IN,
    ),
    SeedType(
        "emergency_class1",
        "一类突发事件",
        "Class-1 emergency",
        InfoClass.INSTANT,
        "事故、灾祸及其它",
        ReportingScope.PROJECT,
        "见备注:辖区内火灾和爆炸,治安事件和刑事事件如盗窃(不含盗窃未遂),人员非正常伤亡,"
        "3000元以上的财产损失,公共传媒负面报道等",
        DeadlineRule.WITHIN_HOURS,
        (
            _f("what_happened", "事件经过", "What happened"),
            _f("casualties", "人员伤亡", "Injuries or deaths", required=False),
            _f("loss_yuan", "财产损失", "Property loss", "money", required=False, unit="元"),
            _f("measures", "处置措施", "Measures taken"),
        ),
        deadline_hours=24,
        special=Special.EMERGENCY,
    ),
    SeedType(
        "media_interview",
        "媒体采访",
        "Media interview",
        InfoClass.INSTANT,
        "采访要点、报道全文",
        ReportingScope.BRANCH,
        SUPPLEMENT,
        DeadlineRule.WITHIN_HOURS,
        (
            _f("media", "媒体", "Media"),
            _f("key_points", "采访要点", "Key points"),
            _f("full_text", "报道全文", "Full text of the report", required=False),
        ),
    ),
    SeedType(
        "honours",
        "公司荣誉",
        "Company honours",
        InfoClass.INSTANT,
        "公司获得的各种奖励、称号",
        ReportingScope.BRANCH,
        SUPPLEMENT,
        DeadlineRule.WITHIN_HOURS,
        (
            _f("honour", "荣誉名称", "Honour"),
            _f("awarded_by", "授予单位", "Awarded by"),
            _f("awarded_on", "获得日期", "Awarded on", "date"),
        ),
    ),
    SeedType(
        "new_project",
        "新项目拓展",
        "New project won",
        InfoClass.INSTANT,
        "新项目拓展的信息",
        ReportingScope.BRANCH,
        "承接新项目的信息",
        DeadlineRule.WITHIN_HOURS,
        (
            _f("project_name", "项目名称", "Project"),
            _f("kind", "物业类型", "Kind of property", "choice", choices=("住宅", "商业", "写字楼", "其它")),
            _f("floor_area", "建筑面积", "Floor area", "number", required=False, unit="m²"),
            _f("taken_over_on", "接管日期", "Taken over on", "date", required=False),
        ),
    ),
    SeedType(
        "personnel_change",
        "人事机构变动",
        "Personnel or organisation change",
        InfoClass.INSTANT,
        "人员和机构的变动情况",
        ReportingScope.BRANCH,
        "部门经理以上人员变动、公司办公地点变动、管理架构模式变动",
        DeadlineRule.WITHIN_HOURS,
        (
            _f(
                "kind",
                "变动类型",
                "Kind of change",
                "choice",
                choices=("部门经理以上人员变动", "办公地点变动", "管理架构模式变动"),
            ),
            _f("description", "变动情况", "What changed"),
            _f("effective_on", "生效日期", "Effective on", "date", required=False),
        ),
    ),
    SeedType(
        "management_review",
        "管理评审报告",
        "Management review report",
        InfoClass.INSTANT,
        "半年和年度管理评审会议报告",
        ReportingScope.BRANCH,
        "管理评审会议纪要/报告及管理评审会议中各议题报告",
        DeadlineRule.WITHIN_HOURS,
        (
            _f("review", "评审", "Review", "choice", choices=("半年", "年度")),
            _f("held_on", "会议日期", "Held on", "date"),
            _f("summary", "评审结论", "Conclusions"),
        ),
        attachments_required=1,
        attachment_note="管理评审会议纪要/报告",
    ),
    SeedType(
        "annual_plan",
        "年度计划和总结",
        "Annual plan and summary",
        InfoClass.OTHER,
        "各地物业公司年度总结和计划",
        ReportingScope.BRANCH,
        "各地物业公司年度计划、总结和中长期规划",
        DeadlineRule.YEARLY_BY_DAY,
        (
            _f("summary", "上年度总结", "Summary of the past year"),
            _f("plan", "本年度计划", "Plan of the year"),
            _f("long_term", "中长期规划", "Mid and long-term plan", required=False),
        ),
        deadline_day=15,
        deadline_month=1,
        is_expected=True,
    ),
    SeedType(
        "annual_training",
        "年度培训大纲",
        "Annual training outline and plan",
        InfoClass.OTHER,
        "公司年度培训纲要和计划",
        ReportingScope.BRANCH,
        "年度各类人员的培训纲要及计划",
        DeadlineRule.YEARLY_IN_MONTH,
        (
            _f("outline", "培训纲要", "Training outline"),
            _f("plan", "培训计划", "Training plan"),
        ),
        deadline_month=1,
        is_expected=True,
    ),
)
SEED_CODES = tuple(seed.code for seed in SEED)
RUBRIC = (("优", Decimal(100)), ("良", Decimal(80)), ("中", Decimal(60)), ("差", Decimal(40)))
DEFAULT_REMINDER_DAYS = [3, 1]


@transaction.atomic
def catalogue_ensure(*, company: Company) -> list[InformationType]:
    """The seed's catalogue for `company`, its first templates, rules and rubric; adds only what is missing
    (HQ's edits stay). The company's types, in catalogue order."""
    rules = rules_for_company(company.pk)
    if not rules.reminder_days:
        rules.reminder_days = list(DEFAULT_REMINDER_DAYS)
        rules.save(update_fields=["reminder_days"])
    existing = set(InformationType.objects.filter(company=company).values_list("code", flat=True))
    for position, seed in enumerate(SEED, start=1):
        if seed.code in existing:
            continue
        try:
            with transaction.atomic():
                InformationType.objects.create(
                    company=company,
                    code=seed.code,
                    name=seed.name,
                    name_en=seed.name_en,
                    info_class=seed.info_class,
                    content=seed.content,
                    scope=seed.scope,
                    scope_note=seed.scope_note,
                    deadline_rule=seed.deadline_rule,
                    deadline_day=seed.deadline_day,
                    deadline_month=seed.deadline_month,
                    deadline_hours=seed.deadline_hours,
                    every_days=seed.every_days,
                    special=seed.special,
                    is_expected=seed.is_expected,
                    position=position * 10,
                )
        except IntegrityError:  # seeded meanwhile by another run
            continue
    seeds = {seed.code: seed for seed in SEED}
    without_template = InformationType.objects.filter(company=company, templates__isnull=True)
    ReportTemplate.objects.bulk_create(
        [
            ReportTemplate(
                information_type=itype,
                version=1,
                fields=list(seeds[itype.code].fields),
                attachments_required=seeds[itype.code].attachments_required,
                attachment_note=seeds[itype.code].attachment_note,
            )
            for itype in without_template
            if itype.code in seeds
        ],
        ignore_conflicts=True,
    )
    if not QualityLevel.objects.filter(company=company).exists():
        QualityLevel.objects.bulk_create(
            [
                QualityLevel(company=company, label=label, score=score, position=position)
                for position, (label, score) in enumerate(RUBRIC, start=1)
            ]
        )
    return list(InformationType.objects.filter(company=company).order_by("position", "id"))


# --- reading ---------------------------------------------------------------------------------------------


def current_template(information_type: InformationType) -> ReportTemplate | None:
    """The latest version of the type's template (what a new report is filled in)."""
    return ReportTemplate.objects.filter(information_type=information_type).order_by("-version").first()


def required_fields(template: ReportTemplate | None) -> list[str]:
    """The keys of the template's required fields, in order (R-IR-5)."""
    if template is None:
        return []
    return [field["key"] for field in template.fields if field.get("required")]


def deadline_words(information_type: InformationType, rules: ReportingRules) -> str:
    """The deadline as people say it: "By day 10 of the next month", "At once (within 24 hours)" …"""
    rule = information_type.deadline_rule
    day, month = information_type.deadline_day, information_type.deadline_month or 1
    if rule == DeadlineRule.MONTHLY_BY_DAY:
        return _("By day %(day)s of the next month") % {"day": day or 10}
    if rule == DeadlineRule.YEARLY_BY_DAY:
        return _("By %(month)s/%(day)s each year") % {"month": month, "day": day}
    if rule == DeadlineRule.YEARLY_IN_MONTH:
        return _("Within month %(month)s each year") % {"month": month}
    if rule == DeadlineRule.WITHIN_HOURS:
        if information_type.deadline_hours:
            return _("Within %(hours)s hours of the event") % {"hours": information_type.deadline_hours}
        return _("At once (within %(hours)s hours)") % {"hours": rules.at_once_hours}
    if rule == DeadlineRule.DAILY:
        if information_type.every_days:
            return _(
                "Daily; at least every %(days)s days when move-ins are few and nothing major happens"
            ) % {"days": information_type.every_days}
        return _("Daily")
    return _("At least every %(days)s days") % {"days": information_type.every_days or 1}


# --- HQ edits a type ------------------------------------------------------------------------------------

TYPE_FIELDS = [
    "name",
    "name_en",
    "info_class",
    "content",
    "scope",
    "scope_note",
    "deadline_rule",
    "deadline_day",
    "deadline_month",
    "deadline_hours",
    "every_days",
    "is_expected",
    "position",
    "is_active",
]


def _check_type(itype: InformationType) -> None:
    """The deadline rule has the numbers it needs, and only periods can be expected."""
    problems: dict[str, list[Any]] = {}
    rule = itype.deadline_rule
    day, month, hours, every = (
        itype.deadline_day,
        itype.deadline_month,
        itype.deadline_hours,
        itype.every_days,
    )
    if not (itype.name or "").strip():
        problems["name"] = [_("Give the name.")]
    if rule not in DeadlineRule.values:
        problems["deadline_rule"] = [_("Choose a deadline rule.")]
    if rule in (DeadlineRule.MONTHLY_BY_DAY, DeadlineRule.YEARLY_BY_DAY) and not (day and 1 <= day <= 31):
        problems["deadline_day"] = [_("Give the day of the month (1 to 31).")]
    if rule in (DeadlineRule.YEARLY_BY_DAY, DeadlineRule.YEARLY_IN_MONTH) and not (
        month and 1 <= month <= 12
    ):
        problems["deadline_month"] = [_("Give the month (1 to 12).")]
    if hours is not None and not 1 <= hours <= MAX_HOURS:
        problems["deadline_hours"] = [_("Give between 1 and %(max)s hours.") % {"max": MAX_HOURS}]
    if rule == DeadlineRule.EVERY_N_DAYS and not every:
        problems["every_days"] = [_("Give the number of days.")]
    if every is not None and not 1 <= every <= 366:
        problems["every_days"] = [_("Give between 1 and 366 days.")]
    if itype.is_expected and rule not in PERIODIC_RULES:
        problems["is_expected"] = [
            _("Only monthly and yearly types are expected from every unit; events are reported as they come.")
        ]
    if problems:
        raise DomainError("reporting.type_invalid", _("The information type is not valid."), fields=problems)


@transaction.atomic
def information_type_update(
    *, actor: Any, information_type: InformationType, **changes: Any
) -> InformationType:
    """HQ edits a row of the catalogue (R-IR-3): name, class, content, scope, deadline and its numbers,
    whether it is expected, order, active. Reports already made keep their deadline."""
    require(actor, "reporting.catalogue")
    unknown = set(changes) - set(TYPE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = model_changes(information_type, TYPE_FIELDS)
    for name, value in changes.items():
        setattr(information_type, name, value)
    _check_type(information_type)
    information_type.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=information_type,
        before=before,
        after=model_changes(information_type, TYPE_FIELDS),
    )
    return information_type


# --- HQ edits a template: a new version ------------------------------------------------------------------


def clean_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A template's fields checked and put in one shape: {key, label, label_en, type, required, unit,
    choices}. DomainError `reporting.template_invalid` (on "fields") listing each problem."""
    problems: list[Any] = []
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    if not fields:
        problems.append(_("A template needs at least one field."))
    if len(fields) > MAX_FIELDS:
        problems.append(_("A template has at most %(max)s fields.") % {"max": MAX_FIELDS})
    for number, field in enumerate(fields, start=1):
        key = str(field.get("key", "")).strip()
        label = str(field.get("label", "")).strip()
        kind = str(field.get("type", "")).strip()
        raw_choices = field.get("choices") or []
        choices = (
            [str(c).strip() for c in raw_choices if str(c).strip()] if isinstance(raw_choices, list) else []
        )
        where = {"number": number, "key": key or "?"}
        if not KEY.match(key):
            problems.append(
                _("Field %(number)s: the key is lower-case letters, digits and _ , starting with a letter.")
                % where
            )
        elif key in seen:
            problems.append(_("Field %(number)s: the key %(key)s is used twice.") % where)
        seen.add(key)
        if not label or len(label) > 80:
            problems.append(_("Field %(number)s (%(key)s): give a label of at most 80 characters.") % where)
        if kind not in FieldKind.values:
            problems.append(_("Field %(number)s (%(key)s): choose a kind.") % where)
        if kind == FieldKind.CHOICE and not choices:
            problems.append(_("Field %(number)s (%(key)s): list the choices.") % where)
        unit = str(field.get("unit", "")).strip()
        if len(unit) > 20:
            problems.append(_("Field %(number)s (%(key)s): the unit has at most 20 characters.") % where)
        cleaned.append(
            {
                "key": key,
                "label": label,
                "label_en": str(field.get("label_en", "")).strip()[:120],
                "type": kind,
                "required": bool(field.get("required")),
                "unit": unit,
                "choices": choices if kind == FieldKind.CHOICE else [],
            }
        )
    if problems:
        raise DomainError(
            "reporting.template_invalid", _("The template is not valid."), fields={"fields": problems}
        )
    return cleaned


@transaction.atomic
def template_new_version(
    *,
    actor: Any,
    information_type: InformationType,
    fields: list[dict[str, Any]],
    attachments_required: int = 0,
    attachment_note: str = "",
) -> ReportTemplate:
    """HQ changes the unified format of a type (R-IR-5): the next version; reports filled in an older
    version keep it. Refused when nothing changed."""
    require(actor, "reporting.catalogue")
    cleaned = clean_fields(fields)
    if not 0 <= attachments_required <= MAX_ATTACHMENTS:
        raise DomainError(
            "reporting.template_invalid",
            _("The template is not valid."),
            fields={"attachments_required": [_("Between 0 and %(max)s.") % {"max": MAX_ATTACHMENTS}]},
        )
    note = attachment_note.strip()[:200]
    # one writer at a time per type (a no-op on SQLite, which has one writer anyway)
    InformationType.objects.select_for_update().filter(pk=information_type.pk).first()
    current = current_template(information_type)
    if (
        current is not None
        and current.fields == cleaned
        and current.attachments_required == attachments_required
        and current.attachment_note == note
    ):
        raise DomainError("reporting.template_unchanged", _("Nothing changed: the template stays as it is."))
    latest = ReportTemplate.objects.filter(information_type=information_type).aggregate(v=Max("version"))["v"]
    template = ReportTemplate.objects.create(
        information_type=information_type,
        version=(latest or 0) + 1,
        fields=cleaned,
        attachments_required=attachments_required,
        attachment_note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=template,
        after={
            "what": f"{information_type.code} v{template.version}",
            "fields": [field["key"] for field in cleaned],
        },
    )
    return template


# --- HQ edits the deadline rules -------------------------------------------------------------------------

RULE_FIELDS = ["at_once_hours", "reminder_days", "escalate_after_days"]


@transaction.atomic
def reporting_rules_update(
    *, actor: Any, company: Company, at_once_hours: int, reminder_days: list[int], escalate_after_days: int
) -> ReportingRules:
    """HQ sets what "at once" means (hours), the reminders before a deadline (days) and when the branch
    manager is told of a missing report (days after)."""
    require(actor, "reporting.catalogue")
    problems: dict[str, list[Any]] = {}
    if not 1 <= at_once_hours <= MAX_HOURS:
        problems["at_once_hours"] = [_("Give between 1 and %(max)s hours.") % {"max": MAX_HOURS}]
    days = sorted({int(day) for day in reminder_days}, reverse=True)
    if any(not 1 <= day <= 60 for day in days) or len(days) > 5:
        problems["reminder_days"] = [_("Give up to five numbers of days between 1 and 60.")]
    if not 0 <= escalate_after_days <= 60:
        problems["escalate_after_days"] = [_("Give between 0 and 60 days.")]
    if problems:
        raise DomainError("reporting.rules_invalid", _("The reporting rules are not valid."), fields=problems)
    rules = rules_for_company(company.pk)
    before = model_changes(rules, RULE_FIELDS)
    rules.at_once_hours = at_once_hours
    rules.reminder_days = days
    rules.escalate_after_days = escalate_after_days
    rules.save(update_fields=RULE_FIELDS)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=rules,
        before=before,
        after=model_changes(rules, RULE_FIELDS),
    )
    return rules
