"""A function that finds one active user's id by email, whichever tenants the user is in.

Adding an existing person to a tenant must find a user who is no member yet, which the tenant's
RLS view of `accounts_user` hides. The function runs as its owner (SECURITY DEFINER) with a
fixed search_path and returns the id only: no other column of the user, nor any other user
(see rls/README.md, reads across the boundary).
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION accounts_user_id_by_email(p_email text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT u.id FROM accounts_user u WHERE u.email = p_email AND u.is_active
$$;
"""

REVERSE = "DROP FUNCTION IF EXISTS accounts_user_id_by_email(text);"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_session_functions"),
    ]

    operations = [migrations.RunSQL(FUNCTION, REVERSE)]
