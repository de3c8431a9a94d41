from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ corrections|get_item:entry.pk }}``: a dict lookup by a variable key."""
    if not mapping:
        return []
    return mapping.get(key, [])


@register.filter
def seconds(value):
    """A duration in seconds, short: 42 s, 3.5 min, 1.2 h."""
    if value is None:
        return "—"
    value = float(value)
    if value < 120:
        return f"{value:.0f}\u00a0s"
    if value < 7200:
        return f"{value / 60:.1f}\u00a0min"
    return f"{value / 3600:.1f}\u00a0h"


@register.filter
def pct(value):
    return "—" if value is None else f"{value:.0f}\u00a0%"


@register.filter
def median_response(group):
    return group.response_p(0.5) if group is not None else None


@register.filter
def median_handling(group):
    return group.handling_p(0.5) if group is not None else None


def _row_constants(context) -> dict:
    """Labels and URL prefixes computed once per render (a page has 50 rows;
    per-row {% translate %} and {% url %} were most of the review's time)."""
    cache = context.render_context
    consts = cache.get("logbook_row_constants")
    if consts is None:
        from django.urls import reverse
        from django.utils.translation import gettext

        from logbook.models import Category

        consts = {
            "categories": {value: str(label) for value, label in Category.choices},
            "correct": gettext("Corriger"),
            "correct_title": gettext("Corriger (nouvelle entrée pointant vers celle-ci)"),
            "corrects": gettext("corrige n° %(id)s"),
            "corrected_by": gettext("Corrigé par %(who)s (n° %(id)s) :"),
            "correct_url": reverse("logbook:entry_correct", args=[999999999]).replace("999999999", "{}"),
            "alarm_url": reverse("logbook:timeline_alarm", args=[999999999]).replace("999999999", "{}"),
        }
        cache["logbook_row_constants"] = consts
    return consts


@register.simple_tag(takes_context=True)
def entry_row(context, entry):
    """One row of the entry tables (main courante, review), rendered in Python."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils.html import format_html, format_html_join, linebreaks  # noqa: F401
    from django.utils.safestring import mark_safe
    from django.utils.timezone import localtime

    c = _row_constants(context)
    request = context.get("request")
    is_supervisor = context.get("is_supervisor")
    when = localtime(entry.created_at, ZoneInfo(settings.TIME_ZONE))
    cat = c["categories"].get(entry.category, entry.category)
    action = "" if entry.action in ("manual", "correction") else format_html(
        '<br><small class="muted">{}</small>', entry.action)
    where = []
    if entry.customer_label:
        where.append(format_html("{}<br>", entry.customer_label))
    if entry.site_label:
        where.append(format_html("<small>{}</small><br>", entry.site_label))
    if entry.alarm_id:
        label = entry.alarm_label or entry.alarm_id
        if is_supervisor:
            where.append(format_html('<small><a href="{}">{}</a></small>', c["alarm_url"].format(entry.alarm_id), label))
        else:
            where.append(format_html("<small>{}</small>", label))
    corrects = format_html('<span class="lb-corrects">{}</span> ', c["corrects"] % {"id": entry.corrects_id}) \
        if entry.corrects_id else ""
    message = mark_safe("<br>".join(format_html("{}", line) for line in entry.message.splitlines()) or "")
    fixes = format_html_join("", '<div class="lb-correction">↳ {} {}</div>', (
        (c["corrected_by"] % {"who": fix.actor_name, "id": fix.pk}, fix.message)
        for fix in (context.get("corrections") or {}).get(entry.pk, [])))
    user_pk = getattr(getattr(request, "user", None), "pk", None)
    button = format_html(
        '<button type="button" class="link-dark" hx-get="{}" hx-target="#entry-{}" hx-swap="outerHTML" '
        'title="{}">{}</button>', c["correct_url"].format(entry.pk), entry.pk, c["correct_title"], c["correct"],
    ) if (entry.actor_id is not None and entry.actor_id == user_pk) or is_supervisor else ""
    flash = " lb-flash" if context.get("just_corrected") else ""
    return format_html(
        '<tr id="entry-{pk}" class="lb-entry cat-{category}{flash}">'
        '<td class="lb-id" title="{hash}">{pk}</td>'
        '<td class="lb-time"><time datetime="{iso}">{when}</time></td>'
        "<td>{actor}</td>"
        '<td><span class="lb-cat">{cat}</span>{action}</td>'
        "<td>{where}</td>"
        '<td class="lb-msg">{corrects}{message}{fixes}</td>'
        '<td class="lb-actions">{button}</td></tr>',
        pk=entry.pk, category=entry.category, flash=flash, hash=entry.hash, iso=when.isoformat(),
        when=when.strftime("%d/%m %H:%M:%S"), actor=entry.actor_name, cat=cat, action=action,
        where=mark_safe("".join(where)), corrects=corrects, message=message, fixes=fixes, button=button,
    )
