from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tenant_apps.tracker"
    label = "tracker"
