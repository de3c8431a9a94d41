"""Production's Content Security Policy (script-src 'self') blocks inline
event handlers and inline scripts: templates must not use them."""

from __future__ import annotations

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>\s*\S", re.IGNORECASE)


def _templates():
    for path in BASE_DIR.glob("**/templates/**/*.html"):
        if ".venv" in path.parts or "admin" in path.parts:
            continue
        yield path


def test_no_inline_event_handlers_or_scripts():
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        if INLINE_HANDLER.search(text) or INLINE_SCRIPT.search(text):
            offenders.append(str(path.relative_to(BASE_DIR)))
    assert offenders == []
