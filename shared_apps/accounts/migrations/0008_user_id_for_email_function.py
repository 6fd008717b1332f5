"""`accounts_user_id_for_email(email)`: the one narrow way past accounts_user's RLS policy.

Inside a tenant the serving role sees only that tenant's members, so an admin adding an
existing user, or an invitation accepted by someone who already has an account, could never
find them. The function answers one question, the id of the active user with exactly this
email, and nothing else (no listing, no other column). It is SECURITY DEFINER, so it runs as
the migration's role (the owner: superuser or BYPASSRLS), with a fixed search_path so callers
cannot substitute their own `accounts_user`. Callers go through
`shared_apps.accounts.selectors.dangerously_user_id_for_email`, which audits each use.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION public.accounts_user_id_for_email(address text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT id FROM public.accounts_user WHERE email = lower(btrim(address)) AND is_active
$$;
"""
DROP = "DROP FUNCTION IF EXISTS public.accounts_user_id_for_email(text);"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_invitation_revoked_at"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
