"""PDF helpers shared by exports and monthly reports (reportlab).

DejaVu Sans when the system has it (any character an operator may type),
else Helvetica (Latin-1 only: other characters are replaced, never dropped
silently: they print as '?').
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]


@cache
def fonts() -> tuple[str, str, bool]:
    """(regular, bold, unicode) font names registered with reportlab."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("ArcSans", str(regular)))
            pdfmetrics.registerFont(TTFont("ArcSans-Bold", str(bold)))
            return "ArcSans", "ArcSans-Bold", True
    return "Helvetica", "Helvetica-Bold", False


def text(value) -> str:
    value = "" if value is None else str(value)
    if fonts()[2]:
        return value
    return value.encode("cp1252", "replace").decode("cp1252")


def local(moment: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M:%S") -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime(fmt)


def wrap(value: str, font: str, size: float, width: float) -> list[str]:
    """Split ``value`` into lines that fit ``width`` points (long words are cut)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for paragraph in text(value).splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if stringWidth(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while stringWidth(word, font, size) > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and stringWidth(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines
