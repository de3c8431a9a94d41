"""Server-rendered SVG charts a supervisor reads at a glance (no JS library).

Every label goes through ``escape``; numbers are formatted here. Colours:
green meets the target, orange misses it by a little, red by more.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

OK, WARN, BAD, NEUTRAL, TARGET = "#2e7d32", "#ef8f00", "#c62828", "#1f5fbf", "#18202c"

HANDLING_BUCKETS = [(60, "<1 min"), (120, "1–2"), (300, "2–5"), (600, "5–10"), (1200, "10–20"),
                    (1800, "20–30"), (3600, "30–60"), (None, ">60")]


def _colour(value: float | None, target: float | None, *, higher_is_better: bool = True) -> str:
    if value is None or target is None:
        return NEUTRAL
    gap = (target - value) if higher_is_better else (value - target)
    if gap <= 0:
        return OK
    return WARN if gap <= 5 else BAD


def share_bars(rows: list[tuple[str, float | None, float | None]], *, width: int = 460,
               title: str = "") -> SafeString:
    """Horizontal bars 0–100 % with a target tick: rows of (label, share, target)."""
    label_w, bar_h, gap = 150, 18, 6
    height = len(rows) * (bar_h + gap) + 24
    plot = width - label_w - 60
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, share, target) in enumerate(rows):
        y = 4 + i * (bar_h + gap)
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end" font-size="12">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{plot}" height="{bar_h}" fill="#eef1f5"/>')
        if share is not None:
            w = plot * max(0.0, min(share, 100.0)) / 100
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                         f'fill="{_colour(share, target)}"/>')
            parts.append(f'<text x="{label_w + plot + 6}" y="{y + bar_h - 5}" font-size="12">{share:.0f} %</text>')
        else:
            parts.append(f'<text x="{label_w + plot + 6}" y="{y + bar_h - 5}" font-size="12">—</text>')
        if target is not None:
            x = label_w + plot * target / 100
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 2}" y2="{y + bar_h + 2}" '
                         f'stroke="{TARGET}" stroke-width="2"/>')
    axis_y = height - 8
    for pct in (0, 50, 100):
        x = label_w + plot * pct / 100
        parts.append(f'<text x="{x:.1f}" y="{axis_y}" font-size="10" text-anchor="middle" '
                     f'fill="#5d6878">{pct} %</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def histogram(values: list[float], *, target_s: float | None = None, width: int = 460,
              title: str = "") -> SafeString:
    """Distribution of durations (seconds) over fixed buckets; bars past the
    target duration are drawn orange."""
    counts = [0] * len(HANDLING_BUCKETS)
    for value in values:
        for i, (limit, _label) in enumerate(HANDLING_BUCKETS):
            if limit is None or value < limit:
                counts[i] += 1
                break
    height, base, left = 150, 120, 30
    n = len(HANDLING_BUCKETS)
    slot = (width - left - 10) / n
    top = max(counts) or 1
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<line x1="{left}" x2="{width - 10}" y1="{base}" y2="{base}" stroke="#5d6878"/>']
    lower = 0
    for i, ((limit, label), count) in enumerate(zip(HANDLING_BUCKETS, counts, strict=True)):
        h = (base - 10) * count / top
        x = left + i * slot + 3
        late = target_s is not None and lower >= target_s
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{slot - 6:.1f}" height="{h:.1f}" '
                     f'fill="{WARN if late else NEUTRAL}"><title>{escape(label)} : {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + (slot - 6) / 2:.1f}" y="{base - h - 3:.1f}" font-size="11" '
                         f'text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + (slot - 6) / 2:.1f}" y="{base + 14}" font-size="10" text-anchor="middle" '
                     f'fill="#5d6878">{escape(label)}</text>')
        lower = limit or lower
    parts.append("</svg>")
    return mark_safe("".join(parts))


def value_bars(rows: list[tuple[str, float]], *, unit: str = "", threshold: float | None = None,
               width: int = 460, title: str = "", higher_is_bad: bool = True) -> SafeString:
    """Horizontal bars of plain values (alarms per operator-hour, false-alarm
    rates) with an optional threshold line."""
    label_w, bar_h, gap = 170, 16, 5
    height = max(1, len(rows)) * (bar_h + gap) + 8
    plot = width - label_w - 70
    top = max([v for _l, v in rows] + [threshold or 0, 1e-9])
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = 4 + i * (bar_h + gap)
        w = plot * value / top
        over = threshold is not None and (value > threshold if higher_is_bad else value < threshold)
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 4}" text-anchor="end" font-size="12">'
                     f'{escape(label[:28])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{BAD if over else NEUTRAL}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" font-size="11">'
                     f'{value:.1f}{escape(unit)}</text>')
    if threshold is not None:
        x = label_w + plot * threshold / top
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" stroke="{TARGET}" '
                     f'stroke-dasharray="4 3" stroke-width="1.5"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
