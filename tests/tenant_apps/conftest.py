"""The API fixtures (clients per role, seeded rows) for the per-app API tests, and a fresh
tenant served as the application role (`people`)."""

from tests.api.conftest import acme_data, acme_owner, client_for, globex_data  # noqa: F401
from tests.shared_apps.accounts.conftest import (  # noqa: F401
    make_user,
    onboarded,
    people,
)
