"""Row-level security keyed on the tenant's role and setting together (rls/policies.py)."""

from django.db import migrations

from rls.operations import ApplyRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_rls_policies"),
    ]

    operations = [
        ApplyRowLevelSecurity(table="accounts_membership", reapply=True),
        ApplyRowLevelSecurity(table="accounts_apitoken", reapply=True),
        ApplyRowLevelSecurity(table="accounts_invitation", reapply=True),
        ApplyRowLevelSecurity(table="accounts_user", reapply=True),
    ]
