"""Ten paper survey forms keyed in from the keyboard alone (issue 13: "a browser test keys in ten paper forms
from the keyboard and reads the rates"), on the demo organisation and accounts.

Set up with the ORM (what printing and handing out did): a running campaign of 海景花园 with three items and
twelve forms handed out in 1号楼. Then agent_a, in the browser and with no mouse and no service call, keys in
ten forms: the serial, Enter, one digit per item (a slip corrected with Backspace), a name typed on one form,
Enter to save; keys in a form already entered and sees the error in place with what was typed kept; reads the
returned count on the screen (10 of 12), again after a reload, and the overall satisfaction rate of the
analysis page, computed here by hand.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from estatedesk.org.models import Project
from estatedesk.surveys.models import SurveyForm
from estatedesk.surveys.tests.test_entry_setup import make_campaign
from tests.browser.test_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser
REFERENCE = "SV-QD-HJ-209901-01"

# the ten forms as filled in: serial → the digit of each item (1 很满意 … 4 不满意, 0 未表态)
FORMS = {
    1: "111",
    2: "123",
    3: "224",
    4: "340",
    5: "112",
    6: "233",
    7: "441",
    8: "000",
    9: "122",
    10: "334",
}


def hand_computed_rate() -> str:
    """R-SV-4 by hand: 30 answers; 4 未表态 left out → 26 rated; 5 不满意 → 21 qualified;
    21 ÷ 26 = 80.769…% → 80.77%."""
    digits = "".join(FORMS.values())
    rated = [d for d in digits if d != "0"]
    qualified = [d for d in rated if d in "123"]
    assert (len(rated), len(qualified)) == (26, 21)
    return "80.77%"


def key_in(page: Any, serial: int, digits: str) -> None:
    """Type the serial, Enter, one digit per item, Enter; wait until the screen lists the form saved."""
    page.keyboard.type(str(serial))
    page.keyboard.press("Enter")
    page.keyboard.type(digits)
    page.keyboard.press("Enter")
    expect(page.locator(f"[data-testid='recent-form'][data-serial='{serial:04d}']")).to_be_visible()


def test_ten_paper_forms_keyed_in_from_the_keyboard_alone(page: Any, log_in: Any, screenshots: Any) -> None:
    # given a running campaign of 海景花园 with twelve forms handed out in 1号楼
    setup = make_campaign(
        Project.objects.get(code="QD-HJ"), reference=REFERENCE, areas=("1号楼",), forms_per_area=12
    )
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    # agent_a opens the keyboard screen: the cursor is in the serial field
    log_in("agent_a")
    page.goto(reverse("surveys:entry", args=[REFERENCE]))
    serial = page.locator("[data-entry-serial]")
    expect(serial).to_be_focused()
    expect(page.get_by_test_id("progress-returned")).to_have_text("0")

    # form 1: straight through
    key_in(page, 1, FORMS[1])
    expect(serial).to_be_focused()
    expect(serial).to_have_value("")

    # form 2: a slip (4 for the second item) taken back with Backspace, and the customer's name typed
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.keyboard.type("14")
    page.keyboard.press("Backspace")
    page.keyboard.type("23")
    expect(page.locator("[name='respondent_name']")).to_be_focused()
    page.keyboard.type("张先生")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid='recent-form'][data-serial='0002']")).to_be_visible()

    # forms 3 to 10
    for number in range(3, 11):
        key_in(page, number, FORMS[number])

    # the returned count on the screen, updated as the forms were saved
    expect(page.get_by_test_id("progress-returned")).to_have_text("10")
    expect(page.get_by_test_id("progress-handed-out")).to_have_text("12")
    expect(page.get_by_test_id("progress-rate")).to_have_text("83.33%")

    # form 3 again: refused in place, with what was typed kept
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    page.keyboard.type("444")
    page.keyboard.press("Enter")
    error = page.get_by_test_id("entry-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("0003")
    expect(serial).to_have_value("3")
    expect(page.locator("select[data-entry-item='1']")).to_have_value("4")
    expect(page.get_by_test_id("progress-returned")).to_have_text("10")

    # what the database holds: ten forms, form 2 as corrected, with its name
    returned = SurveyForm.objects.filter(campaign=setup.campaign, returned_at__isnull=False)
    assert returned.count() == 10
    form_2 = setup.form(2)
    assert form_2.respondent_name == "张先生"
    assert [answer.rating for answer in form_2.answers.order_by("item__position")] == [1, 2, 3]

    # after a reload the server counts ten returned of twelve
    page.reload()
    expect(page.get_by_test_id("progress-returned")).to_have_text("10")
    expect(page.get_by_test_id("progress-handed-out")).to_have_text("12")
    assert page.evaluate("window.__cspViolations || []") == []
    assert problems == []
    screenshots("survey-entry")

    # the analysis page's overall satisfaction rate is the one computed by hand
    page.goto(reverse("surveys:analysis", args=[REFERENCE]))
    expect(page.get_by_test_id("overall-rate")).to_have_text(hand_computed_rate())
