"""EN 50136-1 categories as editable data (PROTOCOLS.md 5.3); the values marked
unverified there are flagged in the note so that an administrator checks them."""

from django.db import migrations

CATEGORIES = [
    # code, dual, primary s, secondary s, note
    ("SP1", False, 32 * 86400, None, "non vérifié"),
    ("SP2", False, 25 * 3600, None, "non vérifié"),
    ("SP3", False, 30 * 60, None, ""),
    ("SP4", False, 3 * 60, None, ""),
    ("SP5", False, 90, None, "non vérifié"),
    ("SP6", False, 20, None, "non vérifié"),
    ("DP1", True, 25 * 3600, 50 * 3600, ""),
    ("DP2", True, 30 * 60, 25 * 3600, ""),
    ("DP3", True, 3 * 60, 25 * 3600, "non vérifié"),
    ("DP4", True, 90, 5 * 3600, ""),
]


def load(apps, schema_editor):
    ATSCategory = apps.get_model("sites", "ATSCategory")
    for code, dual, primary, secondary, note in CATEGORIES:
        ATSCategory.objects.get_or_create(code=code, defaults={
            "dual_path": dual, "primary_seconds": primary, "secondary_seconds": secondary, "note": note})


class Migration(migrations.Migration):
    dependencies = [("sites", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
