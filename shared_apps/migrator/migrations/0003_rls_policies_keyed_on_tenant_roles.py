"""Row-level security keyed on the tenant's role and setting together (rls/policies.py)."""

from django.db import migrations

from rls.operations import ApplyRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("migrator", "0002_rls_policies"),
    ]

    operations = [
        ApplyRowLevelSecurity(table="migrator_tenantmigration", reapply=True),
    ]
