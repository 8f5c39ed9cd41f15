"""Text that can't hurt anywhere (issue 10, item 4): which characters are dangerous where, in one place.
Pure: no database, no Django.

- **Control characters** (Unicode category Cc: NUL, BEL, ESC, CR, LF, …) break what reads them: an Excel
  workbook (openpyxl refuses them), an email header (a CR/LF starts a new header), a terminal (ESC
  sequences). One-line text turns them into a space; multi-line text keeps only tab and line feed.
- **Bidirectional controls** (the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, the
  marks U+200E, U+200F and U+061C) reorder the text that follows them, so `invoice\\u202egpj.exe` reads as
  "invoiceexe.jpg". On pages they are kept and isolated (static/css/app.css, `unicode-bidi: isolate`, and
  base.html's <title>); from PDFs, file names and one-line text (email subjects) they are removed.
- **Other invisible format characters** (category Cf: zero-width space, byte order mark, soft hyphen) go
  from one-line text and file names; the zero-width joiner and non-joiner stay (they build emoji such as
  👨‍👩‍👧 and join letters in some scripts).
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner: harmless, and needed
SPACES = re.compile(r"\s+")
NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
# not allowed in a file name on any system we serve to (besides control and format characters)
FILENAME_RESERVED = re.compile(r'[\\/:*?"<>|]')
MAX_FILENAME = 120


def without_bidi_controls(text: str) -> str:
    """The text without bidirectional embeddings, overrides, isolates and marks."""
    return "".join(ch for ch in text or "" if ch not in BIDI_CONTROLS)


def _is_removed_format(ch: str, category: str) -> bool:
    return category == "Cf" and ch not in JOINERS


def one_line(text: str) -> str:
    """One line of text: control characters (CR, LF, NUL, ESC, …), surrogates, private-use and unassigned
    code points become a space; bidirectional controls and other invisible format characters (zero-width
    space, byte order mark) go; runs of white space become one space; no space at either end."""
    kept = []
    for ch in text or "":
        category = unicodedata.category(ch)
        if _is_removed_format(ch, category):
            continue
        kept.append(" " if category[0] == "C" and ch not in JOINERS else ch)
    return SPACES.sub(" ", "".join(kept)).strip()


def multi_line(text: str) -> str:
    """Text of several lines, fit for a document or an email body: line breaks become "\\n" (CR LF, CR and
    the Unicode line separators too), control characters other than tab and line feed go, and so do
    surrogates (they cannot be encoded). Bidirectional controls are kept (see `without_bidi_controls`)."""
    text = NEWLINES.sub("\n", text or "")
    return "".join(
        ch
        for ch in text
        if ch in "\t\n" or unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\ufffe\uffff"
    )


def document_text(text: str) -> str:
    """Text for a PDF: several lines (`multi_line`), without bidirectional controls, so nothing in it can
    reorder what follows."""
    return without_bidi_controls(multi_line(text))


def filename_safe(name: str, *, fallback: str = "download") -> str:
    """A file name fit to show and to send in Content-Disposition: one line without control and format
    characters (no bidirectional override can make `invoice\\u202egpj.exe` pose as a picture), path
    separators and reserved characters replaced by "_", no leading dots, at most MAX_FILENAME characters
    with the extension kept; `fallback` when nothing is left."""
    text = "".join(ch for ch in name or "" if unicodedata.category(ch)[0] != "C" or ch in " \t")
    text = FILENAME_RESERVED.sub("_", one_line(text)).strip(" .")
    if not text:
        return fallback
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem or len(extension) > 10:
        stem, extension = text, ""
    extension = f".{extension}" if extension else ""
    return stem[: MAX_FILENAME - len(extension)].rstrip() + extension
