"""The main courante typed from the keyboard in a real Chromium: pick a site
by its code, type, Ctrl+Enter, the line is at the top and the cursor is back
in the message for the next one; a correction the same way."""

from __future__ import annotations

import pytest

from logbook.models import LogEntry
from tests.e2e.console_support import chromium, console_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def test_keyboard_only_entry_and_correction(console_page, web_server, operator, site_a, transactional_db):  # noqa: F811
    page = console_page(web_server, operator)
    page.goto(f"{web_server}/logbook/")
    page.keyboard.press("Alt+n")
    assert page.evaluate("document.activeElement.id") == "lb-message"
    page.keyboard.press("Alt+3")  # 3rd category: visitor
    page.focus("#lb-lookup")
    page.keyboard.type("SA1")
    page.wait_for_selector("#lb-lookup-results li[data-id]")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "lb-message"
    page.keyboard.type("Passage du technicien de maintenance")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#lb-entries tr.lb-entry >> text=Passage du technicien de maintenance")
    entry = LogEntry.objects.get(action="manual")
    assert entry.site_id == site_a.pk and entry.category == "visitor" and entry.actor_id == operator.pk
    # Ready for the next line: same site kept, cursor in an empty message.
    assert page.evaluate("document.activeElement.id") == "lb-message"
    assert page.input_value("#lb-message") == ""
    assert page.input_value("input[name=site_id]") == str(site_a.pk)

    page.click(f"#entry-{entry.pk} >> text=Corriger")
    page.fill(f"#entry-{entry.pk} textarea[name=message]", "Passage du technicien ascensoriste")
    page.focus(f"#entry-{entry.pk} textarea[name=message]")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f"#entry-{entry.pk} .lb-correction >> text=ascensoriste")
    correction = LogEntry.objects.get(action="correction")
    assert correction.corrects_id == entry.pk
