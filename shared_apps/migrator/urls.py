from django.urls import path

from shared_apps.migrator import api

urlpatterns = [
    path("status/", api.MigrationStatusView.as_view(), name="migration-status"),
    path("runs/", api.MigrationRunListView.as_view(), name="migration-run-list"),
    path("runs/<uuid:pk>/", api.MigrationRunDetailView.as_view(), name="migration-run-detail"),
]
