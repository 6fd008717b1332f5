"""Run ownership: a lease and the lock holder's pid on MigrationRun, and the claim function
that every tenant transaction calls first (see shared_apps/migrator/engine/lease.py)."""

from django.db import migrations, models

# pg_try_advisory_lock(bigint) shows in pg_locks as classid = high 32 bits, objid = low 32 bits,
# objsubid = 1; FLEET_LOCK_KEY (engine/lock.py) is 0x646576637478.
CLAIM_FUNCTION = """
CREATE OR REPLACE FUNCTION public.migrator_tenant_claim(p_run uuid, p_lease uuid, p_record uuid)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    record_status text;
BEGIN
    -- KEY SHARE: tenants claim side by side; a stop or takeover (FOR UPDATE) waits for the
    -- claimed transactions to end, and a claim that comes after it sees the cleared lease.
    PERFORM 1 FROM public.migrator_migrationrun r
     WHERE r.id = p_run AND r.lease = p_lease AND r.status = 'running'
       AND EXISTS (
           SELECT 1 FROM pg_catalog.pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND l.pid = r.owner_pid
              AND l.classid = 25701 AND l.objid = 1986229368 AND l.objsubid = 1)
     FOR KEY SHARE OF r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % is no longer the owner of the fleet (stopped, superseded or its '
            'lock session ended); nothing was changed', p_run USING ERRCODE = 'DCR01';
    END IF;
    -- A backend whose client died (killed worker, stopped pool) notices within a second even
    -- while it waits on a lock, and rolls back instead of holding the tenant's locks.
    PERFORM set_config('client_connection_check_interval', '1s', true);
    IF p_record IS NOT NULL THEN
        -- FOR UPDATE: a second copy of the same tenant (a redelivered chunk) waits here, then
        -- sees 'done' and does nothing instead of failing on DDL that already ran.
        SELECT status INTO record_status FROM public.migrator_tenantmigration
         WHERE id = p_record FOR UPDATE;
        IF record_status = 'done' THEN
            RAISE EXCEPTION 'already done' USING ERRCODE = 'DCR02';
        ELSIF record_status IS DISTINCT FROM 'running' THEN
            RAISE EXCEPTION 'the tenant is % in run %, not running; nothing was changed',
                record_status, p_run USING ERRCODE = 'DCR01';
        END IF;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("migrator", "0004_applied_migrations_function"),
    ]

    operations = [
        migrations.AddField(
            model_name="migrationrun",
            name="lease",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="migrationrun",
            name="owner_pid",
            field=models.IntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(
            CLAIM_FUNCTION,
            reverse_sql="DROP FUNCTION IF EXISTS public.migrator_tenant_claim(uuid, uuid, uuid)",
        ),
    ]
