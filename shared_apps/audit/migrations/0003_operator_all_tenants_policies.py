"""The operator all-tenants scope (`rls.all_tenants_scope`) on every tenant-scoped table."""

from django.db import migrations

from rls.operations import ApplyRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_rls_policies"),
        ("accounts", "0003_rls_policies"),
        ("migrator", "0002_rls_policies"),
    ]

    operations = [
        ApplyRowLevelSecurity(table="accounts_membership", reapply=True),
        ApplyRowLevelSecurity(table="accounts_apitoken", reapply=True),
        ApplyRowLevelSecurity(table="accounts_invitation", reapply=True),
        ApplyRowLevelSecurity(table="migrator_tenantmigration", reapply=True),
        ApplyRowLevelSecurity(table="audit_auditevent", reapply=True),
    ]
