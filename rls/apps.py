from django.apps import AppConfig
from django.core import checks


class RlsConfig(AppConfig):
    name = "rls"
    label = "rls"
    verbose_name = "Row-level security"

    def ready(self) -> None:
        """Register the RLS system check (database-tagged: `check --database default`)."""
        from rls.checks import rls_system_check

        checks.register(rls_system_check, checks.Tags.database)
