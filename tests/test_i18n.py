"""The interface speaks French by default and English on request: every
message of every catalogue has its English, none is left fuzzy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(p for p in BASE_DIR.glob("**/locale/en/LC_MESSAGES/django.po") if ".venv" not in p.parts)
ENTRY = re.compile(r'(?:^|\n)(#[^\n]*\n)*msgid ((?:"(?:[^"\\]|\\.)*"\n)+)msgstr ((?:"(?:[^"\\]|\\.)*"\n?)+)')


def _text(block: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))


def test_there_are_catalogues():
    apps = {p.parts[-5] if p.parts[-5] != BASE_DIR.name else "." for p in CATALOGUES}
    assert {"sites", "alarms", "logbook", "dispatch", "video", "portal"} <= apps, apps


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_every_message_is_translated(catalogue):
    content = catalogue.read_text(encoding="utf-8")
    untranslated, fuzzy = [], []
    for match in ENTRY.finditer(content):
        comments, msgid, msgstr = match.group(0).split("msgid")[0], _text(match.group(2)), _text(match.group(3))
        if not msgid:
            continue
        if not msgstr:
            untranslated.append(msgid)
        if "#, fuzzy" in comments:
            fuzzy.append(msgid)
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
