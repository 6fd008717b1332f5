from django.apps import AppConfig


class MigratorConfig(AppConfig):
    name = "shared_apps.migrator"
    label = "migrator"
