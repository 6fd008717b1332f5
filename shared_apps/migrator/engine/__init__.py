"""The fleet migration engine: read every tenant's state once, plan once, apply to many.

Pieces, like Django's own `django/db/migrations/`:
- `state`     reads every tenant schema's applied migrations in one round trip;
- `planner`   pure: applied sets in, per-group plans out;
- `compiler`  renders schema operations to SQL once and keeps Python operations with their states;
- `runner`    applies a compiled plan to one tenant in one transaction;
- `recorder`  writes the run and each tenant's outcome;
- `executors` spread tenants over one process, a process pool, or Celery workers;
- `fleet`     ties them together behind `fleet_migrate()`.
"""
