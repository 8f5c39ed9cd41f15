"""Chinese is the default language and its catalogue is complete."""

from pathlib import Path

import polib
from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation():
    po = polib.pofile(str(PO))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == []
    assert len(po) > 200


def test_role_and_workflow_words_follow_the_glossary():
    with translation.override("zh-hans"):
        assert translation.gettext("CS supervisor") == "客服主管"
        assert translation.gettext("HQ property management department") == "物业管理部"
        assert translation.gettext("Make-up working day") == "调休上班日"
        assert translation.gettext("Complaint hotline 1") == "售后投诉电话1"
