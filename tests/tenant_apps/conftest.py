"""The API fixtures (clients per role, seeded rows) for the per-app API tests."""

from tests.api.conftest import acme_data, acme_owner, client_for, globex_data  # noqa: F401
