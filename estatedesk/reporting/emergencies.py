"""Emergencies: the class of an event from its facts (R-IR-4), pure (no database).

The seed's 备注: 一类突发事件 are accidents and disasters, fire and explosion in the managed area,
public-security and criminal cases such as theft (attempted theft excluded), abnormal injury or death,
property loss of 3,000 yuan or more (3000元以上: 3,000 exactly is class 1), and negative reports in public
media. 二类突发事件 are any other unexpected events that break normal order or service and cause loss or a
negative impact, including those prevented in time.

The system proposes; a person confirms or overrides with a reason (submissions.class_confirm). A class-1
event is due at HQ within `ReportingRules.at_once_hours` (24) of when it happened; a class-2 event has no
deadline of its own: it is told in the monthly business report of its month. Every emergency, whatever its
class, is reported to the project manager (R-CS-4). The loss threshold is data
(`ReportingRules.class1_loss_yuan`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from estatedesk.reporting.choices import EmergencyClass


@dataclass(frozen=True)
class Facts:
    """What happened, as the reporter ticks it (stored in ReportSubmission.facts)."""

    accident_or_disaster: bool = False  # 事故、灾祸
    fire_or_explosion: bool = False  # 火灾和爆炸
    public_security: bool = False  # 治安事件
    criminal_case: bool = False  # 刑事事件
    theft: bool = False  # 盗窃
    theft_attempted_only: bool = False  # 盗窃未遂: the theft did not succeed
    abnormal_injury_or_death: bool = False  # 人员非正常伤亡
    loss_yuan: Decimal = Decimal(0)  # 财产损失（元）
    negative_media: bool = False  # 公共传媒负面报道
    prevented: bool = False  # 成功防范: prevented in time

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["loss_yuan"] = str(self.loss_yuan)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Facts:
        """Facts from stored or posted values; unknown keys are ignored, a bad amount counts as 0."""
        data = data if isinstance(data, dict) else {}
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name not in data:
                continue
            if field.name == "loss_yuan":
                values["loss_yuan"] = _amount(data["loss_yuan"])
            else:
                values[field.name] = _flag(data[field.name])
        return cls(**values)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip() or "0")
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() and amount > 0 else Decimal(0)


# why an event is class 1 (or, alone, class 2): stable codes, the words for people
REASONS: dict[str, Any] = {
    "accident_or_disaster": _("an accident or disaster"),
    "fire_or_explosion": _("fire or explosion"),
    "public_security": _("a public-security case"),
    "criminal_case": _("a criminal case"),
    "theft": _("a theft"),
    "abnormal_injury_or_death": _("abnormal injury or death"),
    "loss": _("property loss of %(threshold)s yuan or more"),
    "negative_media": _("a negative report in public media"),
    # class 2
    "theft_attempted_only": _("an attempted theft only"),
    "prevented": _("prevented in time"),
    "other": _("none of the class-1 facts"),
}

# the class-1 facts, in the order their reasons are given
CLASS_1_ORDER = (
    "accident_or_disaster",
    "fire_or_explosion",
    "public_security",
    "criminal_case",
    "theft",
    "abnormal_injury_or_death",
    "loss",
    "negative_media",
)


def _holds(facts: Facts, code: str, loss_threshold: Decimal) -> bool:
    if code == "theft":  # 盗窃 (不含盗窃未遂): a theft that was only attempted is not class 1 by itself
        return facts.theft and not facts.theft_attempted_only
    if code == "loss":  # 3000元以上: from the threshold on, the threshold itself included
        return facts.loss_yuan >= loss_threshold
    return bool(getattr(facts, code))


def propose_class(facts: Facts, *, loss_threshold: Decimal) -> tuple[str, list[str]]:
    """(EmergencyClass value, reason codes): class 1 with every class-1 fact that holds, else class 2 with
    what made it so (an attempted theft only, prevented in time, or none of the class-1 facts)."""
    reasons = [code for code in CLASS_1_ORDER if _holds(facts, code, loss_threshold)]
    if reasons:
        return EmergencyClass.CLASS_1.value, reasons
    minor = [code for code in ("theft_attempted_only", "prevented") if getattr(facts, code)]
    return EmergencyClass.CLASS_2.value, minor or ["other"]


def reason_texts(reasons: list[str], *, loss_threshold: Decimal) -> list[str]:
    """The reasons in words, in the active language."""
    threshold = f"{loss_threshold.normalize():,f}"
    return [
        str(REASONS[code]) % {"threshold": threshold} if code == "loss" else str(REASONS[code])
        for code in reasons
        if code in REASONS
    ]
