from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "tenant_apps.teams"
    label = "teams"
