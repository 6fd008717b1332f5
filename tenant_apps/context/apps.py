from django.apps import AppConfig


class ContextConfig(AppConfig):
    name = "tenant_apps.context"
    label = "context"
