"""DRF permissions shared by the public (operator) API."""

from rest_framework.permissions import BasePermission


class IsOperator(BasePermission):
    """Staff users on the base domain (session or operator token)."""

    message = "Operator access only."

    def has_permission(self, request, view) -> bool:
        user = request.user
        on_base_domain = getattr(request._request, "tenant", None) is None
        return bool(on_base_domain and user and user.is_authenticated and user.is_staff)
