"""One injected statement inside tenant A's request transaction, as the application role.

Each payload of the corpus runs where an SQL injection would: in A's transaction, after A's
context is set, followed by what A's request does next. None may return a row of tenant B, and
none may change anything outside A: B's schema, the shared tables (but A's rows), the catalog
and the roles are compared before and after. The same corpus runs behind PgBouncer in
transaction mode, where one server connection serves many clients' transactions.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import tenant_context

from rls.tenant_roles import group_role_name, operator_role_name, role_prefix, tenant_role_name
from shared_apps.accounts.models import ApiToken, Membership, User
from shared_apps.accounts.sessions import SessionStore
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.services import tenant_create, tenant_delete
from tenant_apps.tracker.models import Task
from tests.factories.tenant_data import project_make, task_make, token_make
from tests.rls.conftest import connected_as

# (payload, refused): `refused` payloads must fail with a database error; the others may run,
# harmlessly. Placeholders: {a} {b} schemas, {a_id} {b_id} tenant ids, {b_role} B's role,
# {operator} and {group} roles, {owner} the superuser, {b_email} B's owner.
CORPUS = [
    # UNION reads
    ("SELECT title FROM tracker_task UNION ALL SELECT title FROM {b}.tracker_task", True),
    ("SELECT 1 WHERE false UNION SELECT title FROM {b}.tracker_task", True),
    (
        "SELECT email FROM accounts_user UNION SELECT tenant_id::text FROM accounts_membership",
        False,
    ),
    ("SELECT id::text FROM tracker_task UNION SELECT email FROM accounts_user", False),
    # schema-qualified reads and writes
    ("SELECT * FROM {b}.tracker_task", True),
    ("SELECT * FROM {b}.tracker_task FOR UPDATE", True),
    ("UPDATE {b}.tracker_task SET description = 'x'", True),
    ("DELETE FROM {b}.tracker_task", True),
    ("INSERT INTO {b}.tracker_task SELECT * FROM tracker_task", True),
    ("TRUNCATE {b}.tracker_task CASCADE", True),
    ("ALTER TABLE {b}.tracker_task ADD COLUMN pwned int", True),
    ("DROP TABLE {b}.tracker_task CASCADE", True),
    ("CREATE TABLE {b}.pwned (id int)", True),
    ("CREATE TABLE public.pwned (id int)", True),
    ("CREATE VIEW tracker_pwned AS SELECT * FROM {b}.tracker_task", True),
    ("SELECT * FROM {b}.django_migrations", True),
    ("UPDATE accounts_membership SET tenant_id = '{a_id}' WHERE tenant_id = '{b_id}'", False),
    ("DELETE FROM accounts_membership WHERE tenant_id = '{b_id}'", False),
    (
        "INSERT INTO accounts_membership (id, user_id, tenant_id, role, created_at)"
        " SELECT gen_random_uuid(), id, '{b_id}', 'owner', now() FROM accounts_user",
        True,
    ),
    ("UPDATE tenants_domain SET tenant_id = '{a_id}' WHERE tenant_id = '{b_id}'", True),
    ("DELETE FROM tenants_domain WHERE tenant_id = '{b_id}'", True),
    ("UPDATE accounts_user SET is_superuser = true", True),
    ("UPDATE accounts_user SET email = 'pwned@x.test' WHERE email = '{b_email}'", False),
    ("UPDATE accounts_apitoken SET revoked_at = now() WHERE tenant_id IS NULL", False),
    # set_config tricks, in sub-selects too
    ("SELECT set_config('app.current_tenant_id', '{b_id}', true)", True),
    (
        "SELECT count(*) FROM accounts_membership"
        " WHERE (SELECT set_config('app.current_tenant_id', '{b_id}', true)) IS NOT NULL",
        True,
    ),
    (
        "SELECT (SELECT set_config('role', '{b_role}', true)),"
        " (SELECT set_config('search_path', '{b}', true))",
        True,
    ),
    (
        "SELECT set_config('app.operator_scope', 'on', true),"
        " (SELECT count(*) FROM accounts_apitoken WHERE tenant_id IS NULL)",
        True,
    ),
    (
        "SELECT set_config('app.operator_scope', 'all', true),"
        " (SELECT count(*) FROM accounts_membership WHERE tenant_id = '{b_id}')",
        True,
    ),
    (
        "SELECT * FROM accounts_membership"
        " WHERE tenant_id = '{b_id}' AND current_setting('app.current_tenant_id') <> ''",
        False,
    ),
    # SET and SET ROLE: one setting each; alone, none reaches B (what A does next fails closed)
    ("SET ROLE {b_role}", False),
    ("SET LOCAL ROLE {b_role}", False),
    ("SET ROLE {operator}", False),
    ("SET ROLE {group}", False),
    ("RESET ROLE", False),
    ("SET ROLE {owner}", True),
    ("SET SESSION AUTHORIZATION {owner}", True),
    ("SET app.current_tenant_id = '{b_id}'", False),
    ("SET LOCAL app.current_tenant_id = ''", False),
    ("SET app.operator_scope = 'on'", False),
    ("SET app.operator_scope = 'all'", False),
    ("SET search_path = {b}, public", False),
    ("RESET ALL", False),
    # temporary objects shadowing tenant tables
    ("CREATE TEMP TABLE tracker_task AS SELECT * FROM {b}.tracker_task", True),
    ("CREATE TEMP TABLE tracker_task (id bigint, title text)", True),
    ("CREATE TABLE pg_temp.accounts_membership (tenant_id uuid)", True),
    ("CREATE TEMP VIEW tracker_task AS SELECT 1", True),
    # function calls
    ("DO $$ BEGIN EXECUTE 'SET ROLE {b_role}'; END $$", True),
    ("CREATE FUNCTION public.pwned() RETURNS int LANGUAGE sql AS 'SELECT 1'", True),
    ("CREATE FUNCTION {a}.pwned() RETURNS int LANGUAGE sql AS 'SELECT 1'", True),
    ("SELECT query_to_xml('SELECT * FROM {b}.tracker_task', true, false, '')", True),
    ("SELECT query_to_xml('SET ROLE {b_role}', true, false, '')", True),
    ("SELECT table_to_xml('{b}.tracker_task', true, false, '')", True),
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()", True),
    ("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()", True),
    ("SELECT pg_advisory_lock(7310455001)", True),
    ("SELECT pg_read_file('/etc/hostname')", True),
    ("SELECT lo_import('/etc/hostname')", True),
    ("SELECT dblink_exec('dbname=postgres', 'SELECT 1')", True),
    ("PREPARE pwned AS SELECT * FROM {b}.tracker_task", True),
    # sessions: every user's, of every tenant; reachable only by a key already known
    ("SELECT session_key, session_data FROM django_session", True),
    ("SELECT django_session_delete(session_key) FROM django_session", True),
    ("SELECT * FROM django_session_load('guess')", False),
    # COPY
    ("COPY {b}.tracker_task TO STDOUT", True),
    ("COPY (SELECT title FROM {b}.tracker_task) TO STDOUT", True),
    ("COPY {b}.tracker_task FROM STDIN", True),
    ("COPY tracker_task TO '/tmp/pwned'", True),
    ("COPY tracker_task FROM PROGRAM 'id'", True),
    # locks
    ("LOCK TABLE {b}.tracker_task IN ACCESS EXCLUSIVE MODE", True),
    ("LOCK TABLE tenants_domain IN ACCESS EXCLUSIVE MODE", True),
    ("LOCK TABLE {b}.tracker_task IN ACCESS SHARE MODE", True),
]


@dataclass(frozen=True)
class Pair:
    """Tenants A and B with a task each; what must never leave B (its secrets)."""

    a: Tenant
    b: Tenant
    secrets: tuple[str, ...]

    def fill(self, payload: str) -> str:
        prefix = role_prefix()
        return payload.format(
            a=self.a.schema_name,
            b=self.b.schema_name,
            a_id=self.a.pk,
            b_id=self.b.pk,
            b_role=tenant_role_name(self.b.pk, prefix=prefix),
            operator=operator_role_name(prefix),
            group=group_role_name(prefix),
            owner=OWNER,
            b_email=self.secrets[1],
        )


OWNER = connection.settings_dict["USER"]


@pytest.fixture
def pair(django_db_setup, django_db_blocker, app_role):
    """Commit tenants A and B (schemas from the template), a task and a token in each."""
    with django_db_blocker.unblock(), contextlib.ExitStack() as cleanup:
        tenants, secrets = [], []
        cleanup.callback(User.objects.filter(email__startswith="owner@inj").delete)
        for tag in ("a", "b"):
            slug = f"inj{uuid.uuid4().hex[:6]}{tag}"
            tenant = tenant_create(slug=slug, name=slug, owner_email=f"owner@{slug}.test")
            cleanup.callback(tenant_delete, tenant=tenant, backup=False)
            with tenant_context(tenant):
                task = task_make(project_make(), description=f"about {slug}")
                task.title = f"secret-{slug}"
                task.save(update_fields=["title"])
            owner = User.objects.get(email=f"owner@{slug}.test")
            token = token_make(tenant, owner)
            session = SessionStore()
            session["_auth_user_id"] = str(owner.pk)
            session.create()
            cleanup.callback(session.delete)
            tenants.append(tenant)
            secrets = [f"secret-{slug}", owner.email, token.prefix, session.session_key]
        connection.set_schema_to_public()
        yield Pair(tenants[0], tenants[1], tuple(secrets))


def snapshot(pair: Pair) -> dict[str, str]:
    """Return a digest of everything outside A: B's tables, shared rows, catalog, roles."""
    a_id, prefix = str(pair.a.pk), role_prefix()
    queries = {
        "tenants": "SELECT t::text FROM tenants_tenant t",
        "domains": "SELECT d::text FROM tenants_domain d",
        "users": "SELECT u::text FROM accounts_user u WHERE id NOT IN"
        f" (SELECT user_id FROM accounts_membership WHERE tenant_id = '{a_id}')",
        "sessions": "SELECT s::text FROM django_session s",
        "catalog": "SELECT c.oid::regclass::text || coalesce(c.relacl::text, '')"
        " || c.relnatts FROM pg_class c WHERE c.relnamespace NOT IN"
        f" ('pg_catalog'::regnamespace, 'information_schema'::regnamespace,"
        f" '{pair.a.schema_name}'::regnamespace) AND c.relnamespace::regnamespace::text"
        " NOT LIKE 'pg\\_%%'",
        "functions": "SELECT p.oid::regprocedure::text || coalesce(p.proacl::text, '')"
        " FROM pg_proc p WHERE p.pronamespace <> 'pg_catalog'::regnamespace",
        # Roles are cluster-wide: only this database's (others change them meanwhile).
        "roles": "SELECT r.rolname || r.rolsuper || r.rolinherit FROM pg_roles r"
        f" WHERE left(r.rolname, {len(prefix)}) = '{prefix}'",
        "members": "SELECT roleid::regrole::text || member::regrole::text FROM pg_auth_members"
        f" WHERE left(member::regrole::text, {len(prefix)}) = '{prefix}'",
        "database": "SELECT datacl::text FROM pg_database WHERE datname = current_database()",
    }
    for table in ("accounts_membership", "accounts_apitoken", "accounts_invitation"):
        queries[table] = f"SELECT x::text FROM {table} x WHERE tenant_id IS DISTINCT FROM '{a_id}'"
    queries["audit"] = (
        f"SELECT x::text FROM audit_auditevent x WHERE tenant_id IS DISTINCT FROM '{a_id}'"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            [pair.b.schema_name],
        )
        for (table,) in cursor.fetchall():
            queries[f"b.{table}"] = f'SELECT x::text FROM "{pair.b.schema_name}"."{table}" x'
        digests = {}
        for name, sql in queries.items():
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(v, '|' ORDER BY v), '')) FROM ({sql}) q(v)"
            )
            digests[name] = cursor.fetchone()[0]
    return digests


@dataclass
class Outcome:
    payload: str
    refused: bool
    seen: list


def attempt(pair: Pair, payload: str) -> Outcome:
    """Run `payload` in A's request transaction, then what A's request does next."""
    seen: list = []
    refused = False
    try:
        with tenant_context(pair.a), transaction.atomic():
            seen += Task.objects.values_list("title", flat=True)  # A's request is under way
            with connection.cursor() as cursor:
                cursor.execute(payload)
                seen += cursor.fetchall() if cursor.description else []
            # The rest of A's request, in the same transaction: it must still see A at most.
            with contextlib.suppress(DatabaseError), transaction.atomic():
                seen += Task.objects.values_list("title", "description")
                seen += Membership.objects.values_list("tenant_id", "user__email")
                seen += User.objects.values_list("email", flat=True)
                seen += ApiToken.objects.values_list("prefix", flat=True)
    except DatabaseError:
        refused = True
    return Outcome(payload, refused, seen)


def next_requests(pair: Pair) -> list:
    """What the next requests on the same connection see: no tenant, then tenant A."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('app.current_tenant_id', true)")
        bare = cursor.fetchone()
    with tenant_context(pair.a):
        titles = list(Task.objects.values_list("title", flat=True))
    return [bare, titles]


def run_corpus(pair: Pair, app_role, django_db_blocker, **connect) -> list[Outcome]:
    """Run every payload as the application role; fail when anything outside A changed."""
    with django_db_blocker.unblock():
        before = snapshot(pair)
        outcomes = []
        with connected_as(app_role.name, app_role.password, CONN_MAX_AGE=600, **connect):
            for payload, _ in CORPUS:
                outcome = attempt(pair, pair.fill(payload))
                outcome.seen += next_requests(pair)
                outcomes.append(outcome)
            connection.set_schema_to_public()
        assert snapshot(pair) == before, "a payload changed something outside tenant A"
    return outcomes


def assert_contained(pair: Pair, app_role, outcomes: list[Outcome]) -> None:
    leaks = [
        (o.payload, secret) for o in outcomes for secret in pair.secrets if secret in repr(o.seen)
    ]
    assert leaks == []
    must_refuse = {pair.fill(payload) for payload, refused in CORPUS if refused}
    ran = [o.payload for o in outcomes if o.payload in must_refuse and not o.refused]
    assert ran == []
    a_secret = f"secret-{pair.a.slug}"
    assert all(a_secret in repr(o.seen) for o in outcomes), "A's own request must keep working"
    assert all(app_role.name in repr(o.seen[-2]) for o in outcomes), "the session role changed"


@pytest.mark.django_db(transaction=True)
def test_no_injected_statement_reaches_tenant_b(pair, app_role, django_db_blocker):
    outcomes = run_corpus(pair, app_role, django_db_blocker)
    assert_contained(pair, app_role, outcomes)


@pytest.mark.django_db(transaction=True)
def test_no_injected_statement_reaches_tenant_b_behind_pgbouncer(
    pair, app_role, django_db_blocker, pgbouncer_port
):
    outcomes = run_corpus(
        pair,
        app_role,
        django_db_blocker,
        HOST="127.0.0.1",
        PORT=str(pgbouncer_port),
        DISABLE_SERVER_SIDE_CURSORS=True,
        OPTIONS={"prepare_threshold": None},
    )
    assert_contained(pair, app_role, outcomes)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pgbouncer_binary() -> str | None:
    """Return Debian's pgbouncer, installing it with apt when missing (as root)."""
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "pgbouncer"], env=env, check=False)
        found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    return found


@pytest.fixture(scope="module")
def pgbouncer_port(app_role):
    """PgBouncer in transaction mode in front of the test database, on a free port."""
    binary = pgbouncer_binary()
    if binary is None:
        pytest.skip("pgbouncer is not installed and apt-get could not install it")
    db = connection.settings_dict
    # Readable by the unprivileged user pgbouncer runs as (pytest's folders are private).
    folder = Path(tempfile.mkdtemp(prefix="dc-pgbouncer-"))
    folder.chmod(0o777)
    port = free_port()
    users = folder / "users.txt"
    users.write_text(f'"{app_role.name}" "{app_role.password}"\n')
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"{db['NAME']} = host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432}"
        f" dbname={db['NAME']}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = plain\nauth_file = {users}\npool_mode = transaction\n"
        "default_pool_size = 2\nmax_client_conn = 50\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    for path in (users, config):
        path.chmod(0o644)
    # PgBouncer refuses to run as root: -u drops to an unprivileged user.
    argv = [binary, str(config)] + (["-u", "nobody"] if os.geteuid() == 0 else [])
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for_port(port, process, folder / "pgbouncer.log")
    yield port
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"pgbouncer exited: {output}{log.read_text() if log.exists() else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    pytest.fail("pgbouncer did not start listening")
