"""Diagnostics: what a tenant-scoped task sees (proves the worker switches the RLS context)."""

from config.celery_app import app


@app.task(name="diagnostics.tenant_visibility")
def tenant_visibility() -> dict:
    """Return what the task's tenant context can see (see rls.diagnostics)."""
    from rls.diagnostics import tenant_visibility as visibility

    return visibility()
