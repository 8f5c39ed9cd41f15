"""What customers write, made fit to show: text cleaned of control characters, and a short title derived
from a description when nobody typed one. Pure: no database. Which characters are dangerous where is
`common/text.py`'s to say."""

from __future__ import annotations

import re

from estatedesk.common.text import one_line

# a phrase: about a line on a phone (Chinese characters are twice as wide as Latin letters)
TITLE_CHARACTERS = 30
TITLE_CHARACTERS_LATIN = 60
# where a phrase ends, in Chinese and in English
PHRASE_END = re.compile(r"[。！？!?；;，,：:\n\r]|\.(?=\s|$)")


def clean_text(text: str) -> str:
    """One line of text (`common.text.one_line`): control characters (CR, LF, NUL, …) and runs of white
    space become one space; bidirectional overrides and other invisible format characters go."""
    return one_line(text)


def derive_title(description: str) -> str:
    """The first phrase of the description, at most 30 characters (60 in Latin script), cut with "…":
    "楼道漏水，已经三天了" → "楼道漏水"; never the whole first line of a long message."""
    text = (description or "").strip()
    first = PHRASE_END.split(text, maxsplit=1)[0]
    phrase = clean_text(first) or clean_text(text)
    limit = TITLE_CHARACTERS_LATIN if phrase.isascii() else TITLE_CHARACTERS
    if len(phrase) <= limit:
        return phrase
    cut = phrase[: limit - 1]
    if " " in cut and cut.isascii():  # English: end on a word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"
