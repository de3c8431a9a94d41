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
