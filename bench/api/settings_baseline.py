"""Settings for the unscoped baseline: the real settings with host routing replaced by a fixed
schema and django-tenants' plain backend (no per-transaction RLS context; `plain_backend` only
keeps the scope stacks shared code pushes to)."""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES, MIDDLEWARE

BENCH_FIXED_TENANT = os.environ.get("BENCH_FIXED_TENANT", "bench")
MIDDLEWARE = [
    "bench.api.baseline.FixedSchemaMiddleware"
    if name == "shared_apps.tenants.middleware.TenantRoutingMiddleware"
    else name
    for name in MIDDLEWARE
]
DATABASES["default"]["ENGINE"] = "bench.api.plain_backend"
