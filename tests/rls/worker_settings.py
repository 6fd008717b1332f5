"""Settings of the RLS test worker: the test settings, keeping one connection across tasks.

Celery closes Django's connections around every task unless CELERY_DB_REUSE_MAX is set; a
reused connection is what a pooled deployment (PgBouncer) amounts to, so the test reuses it.
"""

from config.settings_test import *  # noqa: F403

CELERY_DB_REUSE_MAX = 1000
