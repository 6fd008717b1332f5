"""Fleet migration tasks: a chunk of tenant schemas migrated by one Celery worker."""

from config.celery_app import app
from shared_apps.migrator.engine.remote import migrate_chunk_for_run


@app.task(
    name="fleet.migrate_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=False,
    track_started=True,  # the executor tells a chunk whose worker died from a queued one
)
def migrate_chunk(run_id: str, schemas: list[str], lease: str | None = None) -> dict[str, str]:
    """Migrate `schemas` for run `run_id` under `lease`; done, current or stale ones are no-ops."""
    return migrate_chunk_for_run(run_id=run_id, schemas=schemas, lease=lease)
