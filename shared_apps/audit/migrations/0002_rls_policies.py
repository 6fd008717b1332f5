"""Row-level security on this app's tenant-scoped tables (declared in rls/policies.py)."""

from django.db import migrations

from rls.operations import ApplyRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        ApplyRowLevelSecurity(table="audit_auditevent"),
    ]
