"""Pure rules for personal data in the owner archive: phone numbers, ID numbers, masking, name initials
and pinyin.

No database: tested alone (R-OA-1 "complete, valid").
"""

from __future__ import annotations

import re
from functools import lru_cache

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Landline with area code: 0 + 2–3 digit area code + 7–8 digit number, optional extension.
LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}(?:-\d{1,6})?$")
ID_CARD = re.compile(r"^\d{17}[\dX]$")
ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CARD_CHECK = "10X98765432"
PHONE_SEPARATORS = re.compile(r"[;,；，/、\s]+")


def normalize_phone(raw: str) -> str:
    """Digits only (a landline keeps one dash before its extension); +86 / 0086 prefixes dropped."""
    text = str(raw or "").strip()
    text = re.sub(r"^(?:\+?86|0086)[\s-]?(?=1[3-9])", "", text)
    extension = ""
    match = re.search(r"(?:转|ext\.?|x|-)\s*(\d{1,6})$", text, flags=re.IGNORECASE)
    digits_only = re.sub(r"\D", "", text)
    if match and not MOBILE.match(digits_only) and len(re.sub(r"\D", "", text[: match.start()])) >= 10:
        extension = match.group(1)
        text = text[: match.start()]
    digits = re.sub(r"\D", "", text)
    return f"{digits}-{extension}" if extension else digits


def is_valid_phone(number: str) -> bool:
    return bool(MOBILE.match(number) or LANDLINE.match(number))


def is_mobile(number: str) -> bool:
    return bool(MOBILE.match(number))


def split_phones(raw: str) -> list[str]:
    """Several numbers in one cell ("138… / 0532-…") become normalized numbers, in order, no repeats."""
    seen: list[str] = []
    for part in PHONE_SEPARATORS.split(str(raw or "").strip()):
        number = normalize_phone(part)
        if number and number not in seen:
            seen.append(number)
    return seen


def phone_last4(number: str) -> str:
    digits = re.sub(r"\D", "", number.split("-")[0])
    return digits[-4:]


def mask_phone(number: str) -> str:
    """138****1234 for mobiles; landlines keep area code and last four digits."""
    if not number:
        return ""
    base = number.split("-")[0]
    if len(base) <= 4:
        return "*" * len(base)
    if MOBILE.match(base):
        return f"{base[:3]}****{base[-4:]}"
    keep = 4 if base.startswith("0") and len(base) > 8 else 0
    return f"{base[:keep]}{'*' * (len(base) - keep - 4)}{base[-4:]}"


def is_valid_id_card(number: str) -> bool:
    """A mainland resident ID card (18 characters) with a correct check digit."""
    value = number.strip().upper()
    if not ID_CARD.match(value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], ID_CARD_WEIGHTS, strict=True))
    return ID_CARD_CHECK[total % 11] == value[-1]


def mask_id_number(number: str) -> str:
    """Keep the first 3 and last 4 characters: 370***********1234."""
    value = number.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


INITIALS_LENGTH = 30  # Resident.name_initials


@lru_cache(maxsize=4096)
def name_initials(name: str) -> str:
    """Pinyin initials of a name, lower case: "张伟" → "zw", "欧阳娜娜" → "oynn", "Li Lei" → "ll"."""
    from pypinyin import Style, pinyin

    initials = []
    for token in re.findall(r"[\u3400-\u9fff]|[A-Za-z]+", name):
        if token.isascii():
            initials.append(token[0])
        else:
            initials.append(pinyin(token, style=Style.FIRST_LETTER, heteronym=False)[0][0][:1])
    return "".join(initials).lower()[:INITIALS_LENGTH]  # as many as the column holds (a long name)


PINYIN_LENGTH = 120  # Resident.name_pinyin


@lru_cache(maxsize=4096)
def name_pinyin(name: str) -> str:
    """A name's full pinyin without tones, lower case, one syllable or word a space, the archive's sort key
    (issue 11): "张伟" → "zhang wei", "欧阳娜娜" → "ou yang na na", "Li Lei" → "li lei"; digits stay."""
    from pypinyin import Style, lazy_pinyin

    syllables = []
    for token in re.findall(r"[\u3400-\u9fff]+|[A-Za-z]+|\d+", name):
        if token.isascii():
            syllables.append(token)
        else:
            syllables.extend(lazy_pinyin(token, style=Style.NORMAL))
    return " ".join(syllables).lower()[:PINYIN_LENGTH].rstrip()  # as much as the column holds
