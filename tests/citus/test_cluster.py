"""The product on a 3-node Citus cluster: provisioning, fleet migrations, API, RLS, onboarding,
and moving tenants between workers while their API is in use."""

import json
import re
import threading
import uuid

import psycopg
import pytest
from psycopg.errors import InsufficientPrivilege

from tests.citus.conftest import APP_PASSWORD, APP_ROLE, http, token_for, wait_for

pytestmark = pytest.mark.citus

SLUGS = ("alpha", "beta")
HOST = "alpha.localhost"


def schema_node(product, schema: str) -> str:
    """Where Citus' own metadata says the schema's shards are (HOST:PORT)."""
    rows = product.sql(
        "SELECT DISTINCT nodename || ':' || nodeport FROM citus_shards"
        " WHERE citus_table_type = 'schema' AND table_name::text LIKE %s",
        [f"{schema}.%"],
    )
    assert len(rows) == 1, f"{schema} is spread over {rows}: not one distributed schema"
    return rows[0][0]


def recorded_node(product, slug: str) -> str:
    return product.sql("SELECT node FROM tenants_tenant WHERE slug = %s", [slug])[0][0]


def workers(product) -> list[str]:
    return [f"127.0.0.1:{port}" for port in product.cluster.worker_ports]


def other_worker(product, node: str) -> str:
    return next(worker for worker in workers(product) if worker != node)


@pytest.fixture(scope="module")
def tenants(product):
    """Two tenants made with `create_tenant`, placed on different workers."""
    for slug in SLUGS:
        product.manage("create_tenant", "--slug", slug, "--name", slug.title(),
                       "--owner-email", f"owner@{slug}.test")  # fmt: skip
    alpha, beta = (schema_node(product, f"t_{slug}") for slug in SLUGS)
    if alpha == beta:
        product.manage("move_tenant", "--slug", "beta", "--to-node", other_worker(product, alpha))
    return SLUGS


def test_create_tenant_makes_a_distributed_schema_on_a_worker(product, tenants):
    rows = product.sql("SELECT schema_name::text FROM citus_schemas")
    assert {"t_alpha", "t_beta"} <= {row[0] for row in rows}
    for slug in SLUGS:
        node = schema_node(product, f"t_{slug}")
        assert node in workers(product)
        assert recorded_node(product, slug) == node
        # The template's seed rows and history came along, read through the coordinator.
        statuses = product.sql(f"SELECT slug FROM t_{slug}.tracker_taskstatus ORDER BY sort_order")
        assert [row[0] for row in statuses] == ["todo", "in-progress", "done"]
    assert schema_node(product, "t_alpha") != schema_node(product, "t_beta")
    # No tenant is left half-made: every tenant is active, with its domain and owner.
    assert product.sql("SELECT count(*) FROM tenants_tenant WHERE status <> 'active'") == [(0,)]
    assert "All 2 tenant schema(s) match template" in product.manage("check_schemas").stdout


def test_api_isolates_tenants_on_different_workers(product, tenants):
    alpha, beta = token_for(product, "alpha"), token_for(product, "beta")
    status, project = http(product, "POST", "/api/projects/", host="alpha.localhost",
                           token=alpha, body={"name": "Secret", "key": "SEC"})  # fmt: skip
    assert status == 201, project
    status, task = http(product, "POST", "/api/tasks/", host="alpha.localhost", token=alpha,
                        body={"project": project["id"], "title": "alpha only"})  # fmt: skip
    assert status == 201, task
    status, listed = http(product, "GET", "/api/tasks/", host="beta.localhost", token=beta)
    assert status == 200
    assert "alpha only" not in [row["title"] for row in listed["results"]]
    status, _ = http(product, "GET", f"/api/tasks/{task['id']}/", host="beta.localhost",
                     token=beta)  # fmt: skip
    assert status == 404
    # A tenant's token does not open another tenant's host.
    status, _ = http(product, "GET", "/api/tasks/", host="beta.localhost", token=alpha)
    assert status == 401


def tenant_role(product, tenant_id: str) -> str:
    """The tenant's role: the database's prefix and the tenant id's 32 hex digits."""
    return f"{product.cluster.database}_{uuid.UUID(tenant_id).hex}"


def enter(conn, role: str, tenant_id: str) -> None:
    """Enter a tenant's transaction context as the RLS backend does."""
    conn.execute(f'SET LOCAL ROLE "{role}"')
    conn.execute(f"SET LOCAL app.current_tenant_id = '{tenant_id}'")


def test_rls_holds_for_the_application_role_on_the_coordinator(product, tenants):
    ids = dict(
        product.sql("SELECT slug, id::text FROM tenants_tenant WHERE slug IN ('alpha', 'beta')")
    )
    alpha_role, beta_role = (tenant_role(product, ids[slug]) for slug in SLUGS)
    conninfo = {"host": "127.0.0.1", "port": product.cluster.port, "dbname": "devcontext"}
    with psycopg.connect(user=APP_ROLE, password=APP_PASSWORD, **conninfo) as conn:
        role = conn.execute(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert role.fetchone() == (False,)
        # Fails closed: no tenant context, no rows, and no tenant schema.
        assert conn.execute("SELECT count(*) FROM accounts_membership").fetchone() == (0,)
        with conn.transaction(force_rollback=True), pytest.raises(InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM t_alpha.tracker_taskstatus")
        # The serving role may not set the tenant with a function call (only SET LOCAL).
        with conn.transaction(force_rollback=True), pytest.raises(InsufficientPrivilege):
            conn.execute("SELECT set_config('app.current_tenant_id', %s, true)", [ids["alpha"]])
        with conn.transaction():
            enter(conn, alpha_role, ids["alpha"])
            tenants_seen = conn.execute("SELECT DISTINCT tenant_id::text FROM accounts_membership")
            assert [row[0] for row in tenants_seen] == [ids["alpha"]]
            # Its schema lives on a worker, reached as the tenant's role.
            statuses = conn.execute("SELECT count(*) FROM t_alpha.tracker_taskstatus")
            assert statuses.fetchone() == (3,)
        with conn.transaction(force_rollback=True):
            enter(conn, alpha_role, ids["alpha"])
            with pytest.raises(InsufficientPrivilege):
                conn.execute("SELECT count(*) FROM t_beta.tracker_taskstatus")
        with conn.transaction():
            # The setting counts only when the role agrees: alpha's role naming beta sees nothing.
            enter(conn, alpha_role, ids["beta"])
            assert conn.execute("SELECT count(*) FROM accounts_membership").fetchone() == (0,)
        forge = (
            "INSERT INTO audit_auditevent (id, tenant_id, action, target_type, target_id,"
            " payload, at) VALUES (gen_random_uuid(), %s, 'forged', '', '', '{}', now())"
        )
        with conn.transaction(force_rollback=True):
            enter(conn, alpha_role, ids["alpha"])
            # Inside alpha's context, a row for beta is refused by the policy's WITH CHECK.
            with pytest.raises(InsufficientPrivilege):
                conn.execute(forge, [ids["beta"]])
        with conn.transaction():
            enter(conn, beta_role, ids["beta"])
            statuses = conn.execute("SELECT count(*) FROM t_beta.tracker_taskstatus")
            assert statuses.fetchone() == (3,)


def test_rls_check_finds_tenant_roles_the_workers_refuse_and_setup_db_roles_fixes_them(
    product, tenants
):
    alpha = product.sql("SELECT id::text FROM tenants_tenant WHERE slug = 'alpha'")[0][0]
    worker = product.cluster.worker_ports[0]
    serving = product.serving_env()
    assert product.manage("rls_check", **serving).returncode == 0
    try:
        # A tenant role that may not log in (Citus propagates ALTER ROLE to the workers), and a
        # worker where every role may call set_config again.
        product.sql(f'ALTER ROLE "{tenant_role(product, alpha)}" NOLOGIN')
        product.sql(
            "SET citus.enable_ddl_propagation TO off;"
            " GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO PUBLIC",
            port=worker,
        )
        assert "not permitted to log in" in alpha_statuses(product, alpha)
        failed = product.manage("rls_check", check=False, **serving)
        assert failed.returncode != 0
        assert "rls.E014 1 tenant roles cannot log in" in failed.stderr
        assert "may call pg_catalog.set_config(text, text, boolean) on a worker" in failed.stderr
    finally:
        fixed = product.manage("setup_db_roles")
    assert "revoke EXECUTE on function pg_catalog.set_config" in fixed.stdout
    assert "on the workers" in fixed.stdout
    assert product.manage("rls_check", **serving).returncode == 0
    assert alpha_statuses(product, alpha) == "3"


def alpha_statuses(product, alpha: str) -> str:
    """Count alpha's task statuses as its transactions do, on a new connection; or the error."""
    conninfo = {"host": "127.0.0.1", "port": product.cluster.port, "dbname": "devcontext"}
    with psycopg.connect(user=APP_ROLE, password=APP_PASSWORD, **conninfo) as conn:
        try:
            with conn.transaction():
                enter(conn, tenant_role(product, alpha), alpha)
                count = conn.execute("SELECT count(*) FROM t_alpha.tracker_taskstatus")
                return str(count.fetchone()[0])
        except psycopg.Error as exc:
            return str(exc)


TENANT_TASK = """
import json
from django_tenants.utils import tenant_context
from shared_apps.tenants.models import Tenant
from tasks.diagnostics import tenant_visibility
with tenant_context(Tenant.objects.get(slug="alpha")):
    result = tenant_visibility.apply_async()
print(json.dumps(result.get(timeout=60)))
"""


def test_tenant_tasks_run_as_the_application_role_in_their_tenant(product, tenants):
    seen = json.loads(product.shell(TENANT_TASK).splitlines()[-1])
    alpha = product.sql("SELECT id::text FROM tenants_tenant WHERE slug = 'alpha'")[0][0]
    assert seen["role"] == APP_ROLE
    assert (seen["schema"], seen["tenants"]) == ("t_alpha", [alpha])


@pytest.mark.parametrize("executor", ["standard", "parallel", "celery"])
def test_fleet_migrates_every_tenant_back_and_forth_with_a_data_migration(
    product, tenants, executor
):
    def closed_at_columns() -> int:
        rows = product.sql(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema IN"
            " ('t_alpha', 't_beta') AND table_name = 'tracker_task' AND column_name = 'closed_at'"
        )
        return rows[0][0]

    back = product.manage("migrate_schemas", "tracker", "0002", "--tenant", "--executor", executor)
    assert re.search(r"Run \S+: done — 2 done, 0 failed", back.stdout), back.stdout
    assert closed_at_columns() == 0
    back = product.manage("migrate_schemas", "tracker", "0001", "--tenant", "--executor", executor)
    # The data migration ran backwards on each worker: unused default statuses are gone.
    assert product.sql("SELECT count(*) FROM t_beta.tracker_taskstatus") == [(0,)]
    forth = product.manage("migrate_schemas", "--tenant", "--executor", executor)
    assert re.search(r"Run \S+: done — 2 done, 0 failed", forth.stdout), forth.stdout
    assert closed_at_columns() == 2
    assert product.sql("SELECT count(*) FROM t_beta.tracker_taskstatus") == [(3,)]
    assert product.manage("check_schemas").returncode == 0
    status = json.loads(product.manage("migration_status", "--json").stdout)
    assert status["current"] == status["tenants"] == 2


def test_a_migration_citus_refuses_is_named_and_leaves_every_tenant_unchanged(product, tenants):
    refused = product.manage(
        "migrate_schemas", "--tenant", "--executor", "standard", check=False,
        DJANGO_SETTINGS_MODULE="tests.citus.refused.settings",
    )  # fmt: skip
    assert refused.returncode == 1
    message = "Citus refused migration refused.0001_title_statistics: alter table command"
    assert message in refused.stderr + refused.stdout
    history = product.sql(
        "SELECT count(*) FROM t_alpha.django_migrations WHERE app = 'refused'"
        " UNION ALL SELECT count(*) FROM t_beta.django_migrations WHERE app = 'refused'"
    )
    assert history == [(0,), (0,)]
    assert product.manage("check_schemas").returncode == 0


def test_onboarding_through_celery_places_the_tenant_on_a_worker(product, tenants):
    operator = token_for(product, None)
    body = {"slug": "gamma", "name": "Gamma", "owner_email": "owner@gamma.test"}
    status, created = http(product, "POST", "/api/tenants/", host="localhost", token=operator,
                           body=body)  # fmt: skip
    assert status == 202, created

    def active():
        status, shown = http(product, "GET", "/api/tenants/gamma/", host="localhost",
                             token=operator)  # fmt: skip
        return shown if status == 200 and shown["status"] == "active" else None

    shown = wait_for(active, timeout=90, what="gamma to become active")
    assert shown["node"] == schema_node(product, "t_gamma")
    status, statuses = http(product, "GET", "/api/task-statuses/", host="gamma.localhost",
                            token=token_for(product, "gamma"))  # fmt: skip
    assert status == 200
    assert statuses["count"] == 3


def test_move_tenant_while_its_api_is_writing_loses_nothing(product, tenants):
    token = token_for(product, "alpha")
    status, project = http(product, "POST", "/api/projects/", host="alpha.localhost",
                           token=token, body={"name": "Moving", "key": "MOV"})  # fmt: skip
    assert status == 201, project
    product.sql(
        "INSERT INTO t_alpha.tracker_task (id, project_id, status_id, title, description,"
        " priority, created_at, updated_at) SELECT gen_random_uuid(), p.id, s.id, 'bulk ' || g,"
        " '', 2, now(), now() FROM t_alpha.projects_project p, generate_series(1, 5000) g,"
        " LATERAL (SELECT id FROM t_alpha.tracker_taskstatus LIMIT 1) s WHERE p.id = %s",
        [project["id"]],
    )
    source = schema_node(product, "t_alpha")
    target = other_worker(product, source)
    stop, statuses, created = threading.Event(), [], []

    def serve():
        while not stop.is_set():
            body = {"project": project["id"], "title": "live"}
            status, task = http(product, "POST", "/api/tasks/", host=HOST, token=token, body=body)
            statuses.append(status)
            if status == 201:
                created.append(task["id"])
            status, _ = http(product, "GET", "/api/tasks/?page_size=5", host=HOST, token=token)
            statuses.append(status)

    clients = [threading.Thread(target=serve) for _ in range(2)]
    for client in clients:
        client.start()
    try:
        moved = product.manage("move_tenant", "--slug", "alpha", "--to-node", target)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)
    assert f"from {source} to {target}" in moved.stdout
    assert f"lives on {target}" in moved.stdout
    assert schema_node(product, "t_alpha") == target
    assert recorded_node(product, "alpha") == target
    assert statuses and set(statuses) <= {200, 201}, sorted(set(statuses))
    assert created, "no write went through during the move"
    stored = product.sql("SELECT id FROM t_alpha.tracker_task WHERE id = ANY(%s)", [created])
    assert len(stored) == len(created)


def test_move_tenant_refuses_a_node_that_is_not_a_worker(product, tenants):
    result = product.manage(
        "move_tenant", "--slug", "beta", "--to-node", "127.0.0.1:1", check=False
    )
    assert result.returncode == 1
    assert "is not a worker of this cluster" in result.stderr


def test_rebalance_spreads_tenants_over_the_workers(product, tenants):
    product.manage("create_tenant", "--slug", "delta", "--name", "Delta")
    slugs = [
        row[0] for row in product.sql("SELECT slug FROM tenants_tenant WHERE status = 'active'")
    ]
    assert len(slugs) >= 3
    first = workers(product)[0]
    for slug in slugs:
        if schema_node(product, f"t_{slug}") != first:
            product.manage("move_tenant", "--slug", slug, "--to-node", first)
    result = product.manage("rebalance_tenants")
    # With every tenant on one worker (and the template on either), Citus' plan moves tenants.
    nodes = {schema_node(product, f"t_{slug}") for slug in slugs}
    assert nodes == set(workers(product)), result.stdout
    assert "tenants per node" in result.stdout
    for slug in slugs:
        assert recorded_node(product, slug) == schema_node(product, f"t_{slug}")


def test_a_deleted_tenant_restored_from_its_backup_is_distributed_again(product, tenants):
    product.manage("create_tenant", "--slug", "omega", "--name", "Omega")
    deleted = product.manage("delete_tenant", "--slug", "omega", "--noinput")
    backup = deleted.stdout.split("Backup written to ", 1)[1].split()[0]
    assert product.sql(
        "SELECT count(*) FROM citus_schemas WHERE schema_name::text = 't_omega'"
    ) == [(0,)]
    product.manage("restore_tenant", "--file", backup, "--slug", "omega")
    node = schema_node(product, "t_omega")
    assert node in workers(product)
    assert recorded_node(product, "omega") == node
    assert product.manage("check_schemas").returncode == 0
