"""Where tenants live on a Citus cluster: record it, move one tenant, rebalance them all."""

import logging

from django.core.exceptions import ValidationError

from shared_apps.audit.services import audit_record
from shared_apps.tenants import citus
from shared_apps.tenants.models import Tenant

logger = logging.getLogger(__name__)

TRANSFER_MODES = ("auto", "force_logical", "block_writes")


def tenant_nodes_record(*, tenants=None) -> int:
    """Store each tenant's node (HOST:PORT) from Citus' metadata; return how many changed."""
    queryset = Tenant.objects.all() if tenants is None else tenants
    tenants = list(queryset)
    nodes = citus.schema_nodes(t.schema_name for t in tenants)
    changed = [t for t in tenants if nodes.get(t.schema_name, "") != t.node]
    for tenant in changed:
        tenant.node = nodes.get(tenant.schema_name, "")
    Tenant.objects.bulk_update(changed, ["node"])
    return len(changed)


def require_citus() -> None:
    if not citus.citus_active():
        raise citus.CitusError(
            "This database is not a Citus coordinator (no citus extension): tenants live on "
            "one server and cannot move. See docs/operations.md, 'Scale out with Citus'."
        )


def tenant_move(
    *, tenant: Tenant, to_node: str, mode: str = "auto", progress: citus.Progress = logger.info
) -> Tenant:
    """Move the tenant's schema to the worker `to_node` (HOST:PORT) online; record where."""
    require_citus()
    if mode not in TRANSFER_MODES:
        raise ValidationError({"mode": f"Choose one of {', '.join(TRANSFER_MODES)}."})
    try:
        target = citus.node_parse(to_node)
    except ValueError as exc:
        raise ValidationError({"to_node": str(exc)}) from exc
    workers = citus.worker_nodes()
    if target not in workers:
        known = ", ".join(str(node) for node in workers) or "none"
        raise ValidationError({"to_node": f"{target} is not a worker of this cluster ({known})."})
    source = citus.schema_nodes([tenant.schema_name]).get(tenant.schema_name)
    if source is None:
        raise citus.CitusError(
            f"Schema {tenant.schema_name} is not a distributed schema; distribute it first with"
            f" SELECT citus_schema_distribute('{tenant.schema_name}')."
        )
    if source != str(target):
        progress(f"Moving {tenant.slug} ({tenant.schema_name}) from {source} to {target}")
        citus.schema_move(schema=tenant.schema_name, to_node=target, mode=mode, progress=progress)
    tenant_nodes_record(tenants=Tenant.objects.filter(pk=tenant.pk))
    tenant.refresh_from_db()
    audit_record(
        tenant=tenant, actor=None, action="tenant.moved", target=tenant,
        payload={"from": source, "to": tenant.node},
    )  # fmt: skip
    return tenant


def tenants_rebalance(*, mode: str = "auto", progress: citus.Progress = logger.info) -> int:
    """Spread tenant schemas evenly over the workers with Citus' rebalancer; return moves."""
    require_citus()
    if mode not in TRANSFER_MODES:
        raise ValidationError({"mode": f"Choose one of {', '.join(TRANSFER_MODES)}."})
    moves = citus.rebalance(mode=mode, progress=progress)
    tenant_nodes_record()
    return moves
