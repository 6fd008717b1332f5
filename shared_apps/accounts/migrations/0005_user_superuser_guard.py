"""Only the owner (BYPASSRLS) or a superuser may make or unmake a superuser.

Django saves every column of a user, so a column grant cannot keep `is_superuser` from the
serving role; this trigger refuses a change of it by any other role (see rls/README.md).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION accounts_user_superuser_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'INSERT' AND NEW.is_superuser)
     OR (TG_OP = 'UPDATE' AND NEW.is_superuser IS DISTINCT FROM OLD.is_superuser) THEN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                   WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN
      RAISE EXCEPTION 'role % may not change is_superuser', current_user
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER accounts_user_superuser_guard BEFORE INSERT OR UPDATE OF is_superuser
ON accounts_user FOR EACH ROW EXECUTE FUNCTION accounts_user_superuser_guard();
"""

REVERSE = """
DROP TRIGGER IF EXISTS accounts_user_superuser_guard ON accounts_user;
DROP FUNCTION IF EXISTS accounts_user_superuser_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_rls_policies_keyed_on_tenant_roles"),
    ]

    operations = [migrations.RunSQL(FUNCTION, REVERSE)]
