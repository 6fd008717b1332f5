"""Base viewsets for the tenant API: reads through selectors, writes through audited services.

A concrete viewset names its `resource` (a key of the permission matrix), a `selector`
returning its queryset, and `services` to create/update/delete. Views never save models.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404
from rest_framework import exceptions, viewsets
from rest_framework.permissions import SAFE_METHODS

from config.api.permissions import ADMIN, TenantRolePermission, request_role, role_at_least
from shared_apps.audit.services import AuditContext

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


@dataclass(frozen=True)
class Services:
    """The service functions a viewset's writes call (keyword-only, audited, atomic)."""

    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def audit_context(request) -> AuditContext:
    return AuditContext(tenant=request.tenant, actor=request.user, ip=client_ip(request))


class TenantViewSetMixin:
    """Permission matrix, UUID lookups and the audit context for tenant endpoints."""

    resource: str
    permission_classes = [TenantRolePermission]
    lookup_value_regex = UUID_PATTERN

    def audit_context(self) -> AuditContext:
        return audit_context(self.request)

    def dispatch(self, request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)  # services open their own
        # One transaction per read, so the RLS backend sets the tenant context once per
        # request instead of wrapping each autocommit statement in BEGIN/set_config/COMMIT.
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)


class TenantGenericViewSet(TenantViewSetMixin, viewsets.GenericViewSet):
    """Reads through `selector(**selector_kwargs())`; no rows while the schema is generated."""

    selector: Callable[..., Any]

    def selector_kwargs(self) -> dict[str, Any]:
        return {}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.get_serializer_class().Meta.model.objects.none()
        return type(self).selector(**self.selector_kwargs())


class TenantModelViewSet(TenantGenericViewSet, viewsets.ModelViewSet):
    """CRUD over a selector and services; nested viewsets set `parent_kwarg`/`parent_selector`."""

    services = Services()
    parent_kwarg: str | None = None
    parent_selector: Callable[..., Any] | None = None

    def get_parent(self):
        if not hasattr(self, "_parent"):
            try:
                self._parent = type(self).parent_selector(pk=self.kwargs[self.parent_kwarg])
            except (ObjectDoesNotExist, ValueError, ValidationError) as exc:
                raise Http404 from exc
        return self._parent

    def parent_kwargs(self) -> dict[str, Any]:
        if self.parent_kwarg is None or getattr(self, "swagger_fake_view", False):
            return {}
        return {self.parent_kwarg: self.get_parent()}

    def selector_kwargs(self) -> dict[str, Any]:
        return self.parent_kwargs()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.parent_kwarg and not getattr(self, "swagger_fake_view", False):
            context[self.parent_kwarg] = self.get_parent()
        return context

    def perform_create(self, serializer):
        serializer.instance = self.services.create(
            audit=self.audit_context(), **self.parent_kwargs(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = self.services.update(
            audit=self.audit_context(), instance=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        options = {}
        if "cascade" in inspect.signature(self.services.delete).parameters:
            options["cascade"] = self.cascade_requested()
        self.services.delete(audit=self.audit_context(), instance=instance, **options)

    def cascade_requested(self) -> bool:
        """Parse `?cascade=true`: a delete that takes the object's children along (admins+)."""
        value = self.request.query_params.get("cascade", "false").lower()
        if value not in {"true", "false", "1", "0"}:
            raise exceptions.ValidationError({"cascade": ["Use true or false."]})
        cascade = value in {"true", "1"}
        if cascade and not role_at_least(request_role(self.request), ADMIN):
            raise exceptions.PermissionDenied("Only owners and admins delete with cascade=true.")
        return cascade
