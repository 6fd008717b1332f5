"""Operator API on the base domain: fleet migration status and runs."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

import rls
from shared_apps.accounts.authentication import BearerTokenAuthentication
from shared_apps.accounts.permissions import IsOperator
from shared_apps.migrator.models import MigrationRun, TenantMigration
from shared_apps.migrator.selectors import fleet_status, migration_run_list


class OperatorAPIMixin:
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsOperator]


def every_tenants_outcome(request):
    """Enter the audited all-tenants scope: TenantMigration rows belong to their tenants (RLS).

    Called only by views behind `IsOperator`, so a staff user reads every tenant's outcome.
    """
    return rls.all_tenants_scope(actor=request.user, reason=f"{request.method} {request.path}")


class TenantMigrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = TenantMigration
        fields = [
            "schema_name",
            "status",
            "applied",
            "duration_ms",
            "error",
            "attempts",
            "started_at",
            "finished_at",
        ]


class MigrationRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MigrationRun
        fields = [
            "id",
            "operation",
            "status",
            "executor",
            "target",
            "options",
            "total_count",
            "done_count",
            "failed_count",
            "skipped_count",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]


class MigrationRunDetailSerializer(MigrationRunSerializer):
    failed = serializers.SerializerMethodField()

    class Meta(MigrationRunSerializer.Meta):
        fields = [*MigrationRunSerializer.Meta.fields, "failed"]

    def get_failed(self, run) -> list[dict]:
        rows = run.tenants.filter(status=TenantMigration.Status.FAILED).order_by("schema_name")
        return TenantMigrationSerializer(rows, many=True).data


class MigrationStatusView(OperatorAPIMixin, APIView):
    """Per tenant-app migration: how many active tenants have it, which lag, which failed."""

    @extend_schema(responses={200: dict})
    def get(self, request):
        with every_tenants_outcome(request):
            return Response(fleet_status())


class MigrationRunListView(OperatorAPIMixin, generics.ListAPIView):
    """Fleet runs, newest first."""

    serializer_class = MigrationRunSerializer

    def get_queryset(self):
        return migration_run_list()


class MigrationRunDetailView(OperatorAPIMixin, generics.RetrieveAPIView):
    """One fleet run with the tenants that failed and why."""

    serializer_class = MigrationRunDetailSerializer

    def get_queryset(self):
        return migration_run_list()

    def get(self, request, *args, **kwargs):
        with every_tenants_outcome(request):
            return super().get(request, *args, **kwargs)
