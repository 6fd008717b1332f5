"""A function that reads the applied migrations of tenant schemas for the operators' status.

The serving roles have no privilege on any tenant schema (each tenant's role has its own), yet
the migrations API, served as the application role, reports every tenant's migration state.
The function runs as its owner (SECURITY DEFINER) with a fixed search_path, reads only the
`django_migrations` table of schemas that belong to a tenant, and answers (schema, app, name)
rows, no tenant data (see rls/README.md, reads across the boundary).
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION migrator_applied_migrations(p_schemas text[])
RETURNS TABLE (schema_name text, app text, name text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  query text;
BEGIN
  -- One UNION ALL statement for the whole list, like the fleet engine's own read.
  SELECT string_agg(format('SELECT %L::text, app::text, name::text FROM %I.django_migrations',
                           t.schema_name, t.schema_name), ' UNION ALL ')
    INTO query
    FROM tenants_tenant t
   WHERE t.schema_name = ANY (p_schemas)
     AND to_regclass(format('%I.django_migrations', t.schema_name)) IS NOT NULL;
  IF query IS NOT NULL THEN
    RETURN QUERY EXECUTE query;
  END IF;
END
$$;
"""

REVERSE = "DROP FUNCTION IF EXISTS migrator_applied_migrations(text[]);"


class Migration(migrations.Migration):
    dependencies = [
        ("migrator", "0003_rls_policies_keyed_on_tenant_roles"),
        ("tenants", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FUNCTION, REVERSE)]
