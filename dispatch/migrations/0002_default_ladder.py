from django.db import migrations


def seed(apps, schema_editor):
    from dispatch.ladder_defaults import DEFAULT_RUNGS

    Rung = apps.get_model("dispatch", "EscalationRung")
    for priority, level, after, audience, colour, repeat, label in DEFAULT_RUNGS:
        Rung.objects.get_or_create(priority=priority, category="", level=level, defaults={
            "after_seconds": after, "audience": audience, "colour": colour, "repeat_seconds": repeat,
            "label": label})


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
