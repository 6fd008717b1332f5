"""The operator all-tenants scope (`rls.all_tenants_scope`) on every tenant-scoped table."""

from django.db import migrations

from rls.operations import ReapplyRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_rls_policies"),
        ("accounts", "0003_rls_policies"),
        ("migrator", "0002_rls_policies"),
    ]

    operations = [
        ReapplyRowLevelSecurity(table="accounts_membership"),
        ReapplyRowLevelSecurity(table="accounts_apitoken"),
        ReapplyRowLevelSecurity(table="accounts_invitation"),
        ReapplyRowLevelSecurity(table="migrator_tenantmigration"),
        ReapplyRowLevelSecurity(table="audit_auditevent"),
    ]
