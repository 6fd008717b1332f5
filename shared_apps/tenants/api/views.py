"""Onboarding endpoints (base domain, operators only): 202 now, the worker does the rest."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView

from config.api.pagination import DefaultPagination
from shared_apps.accounts.authentication import BearerTokenAuthentication
from shared_apps.accounts.permissions import IsOperator
from shared_apps.tenants.api.serializers import TenantCreateSerializer, TenantSerializer
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.selectors import tenant_get, tenant_list
from shared_apps.tenants.services import TenantStateError, tenant_onboard, tenant_retry


class OperatorAPIView:
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsOperator]


def tenant_or_404(slug: str) -> Tenant:
    tenant = tenant_get(slug=slug)
    if tenant is None:
        raise Http404
    return tenant


def accepted(tenant: Tenant, request) -> Response:
    data = TenantSerializer(tenant, context={"request": request}).data
    location = request.build_absolute_uri(f"/api/tenants/{tenant.slug}/")
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


class TenantListCreateView(OperatorAPIView, generics.ListAPIView):
    """List tenants (`?status=` filters); POST onboards one: 202, then poll its status."""

    serializer_class = TenantSerializer
    pagination_class = DefaultPagination
    filter_backends: list = []

    def get_queryset(self):
        return tenant_list(status=self.request.query_params.get("status"))

    @extend_schema(request=TenantCreateSerializer, responses={202: TenantSerializer})
    def post(self, request):
        serializer = TenantCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            tenant = tenant_onboard(**serializer.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(as_serializer_error(exc)) from exc
        return accepted(tenant, request)


class TenantDetailView(OperatorAPIView, generics.RetrieveAPIView):
    """A tenant's status; `status_reason` says why provisioning failed."""

    serializer_class = TenantSerializer

    def get_object(self):
        return tenant_or_404(self.kwargs["slug"])


class TenantRetryView(OperatorAPIView, APIView):
    """Queue provisioning again for a `failed` tenant, or one stuck `provisioning` past
    TENANT_PROVISIONING_DEADLINE because its worker died (409 in any other state)."""

    @extend_schema(request=None, responses={202: TenantSerializer})
    def post(self, request, slug: str):
        try:
            tenant = tenant_retry(tenant=tenant_or_404(slug))
        except TenantStateError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return accepted(tenant, request)
