"""Row-level security on this app's tenant-scoped tables (declared in rls/policies.py)."""

from django.db import migrations

from rls.operations import ApplyRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_operator_tokens"),
    ]

    operations = [
        ApplyRowLevelSecurity(table="accounts_membership"),
        ApplyRowLevelSecurity(table="accounts_apitoken"),
        ApplyRowLevelSecurity(table="accounts_invitation"),
        ApplyRowLevelSecurity(table="accounts_user"),
    ]
