"""Print the Chinese catalogue's untranslated and fuzzy entries (used when adding strings)."""

import sys
from pathlib import Path

PO = (
    Path(__file__).resolve().parent.parent / "estatedesk" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
)


def main() -> int:
    import polib

    po = polib.pofile(str(PO))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    for msgid in missing:
        print(msgid)  # noqa: T201
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
