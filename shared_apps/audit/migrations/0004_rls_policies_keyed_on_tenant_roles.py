"""Row-level security keyed on the tenant's role and setting together (rls/policies.py)."""

from django.db import migrations

from rls.operations import ApplyRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_operator_all_tenants_policies"),
    ]

    operations = [
        ApplyRowLevelSecurity(table="audit_auditevent", reapply=True),
    ]
