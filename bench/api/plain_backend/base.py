"""django-tenants' plain backend with the scope stacks `rls.context` pushes to, left unused.

The baseline measures the stack without any per-transaction RLS context: scopes entered by
shared code (token authentication) are recorded here and never reach the database.
"""

from django_tenants.postgresql_backend import base as tenants_base


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        self.rls_scopes: list[str] = []
        self.rls_operator_scopes: list[str] = []
        super().__init__(*args, **kwargs)
