"""Functions that read and write one `django_session` row by its key (accounts.sessions).

They run as their owner (SECURITY DEFINER) with a fixed search_path, so the serving roles need
no privilege on the table itself (see rls/README.md).
"""

from django.db import migrations

FUNCTIONS = """
CREATE FUNCTION django_session_load(p_key text)
RETURNS TABLE (session_data text, expire_date timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.session_data, s.expire_date FROM django_session s
  WHERE s.session_key = p_key AND s.expire_date > now()
$$;
CREATE FUNCTION django_session_exists(p_key text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM django_session s WHERE s.session_key = p_key)
$$;
CREATE FUNCTION django_session_insert(p_key text, p_data text, p_expire timestamptz)
RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH i AS (INSERT INTO django_session (session_key, session_data, expire_date)
             VALUES (p_key, p_data, p_expire) ON CONFLICT (session_key) DO NOTHING RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM i)
$$;
CREATE FUNCTION django_session_update(p_key text, p_data text, p_expire timestamptz)
RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH u AS (UPDATE django_session SET session_data = p_data, expire_date = p_expire
             WHERE session_key = p_key RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM u)
$$;
CREATE FUNCTION django_session_delete(p_key text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  DELETE FROM django_session WHERE session_key = p_key
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS django_session_load(text);
DROP FUNCTION IF EXISTS django_session_exists(text);
DROP FUNCTION IF EXISTS django_session_insert(text, text, timestamptz);
DROP FUNCTION IF EXISTS django_session_update(text, text, timestamptz);
DROP FUNCTION IF EXISTS django_session_delete(text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_superuser_guard"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FUNCTIONS, REVERSE)]
