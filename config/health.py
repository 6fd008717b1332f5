"""Liveness and readiness endpoints, answered before tenant routing on every host."""

from django.db import connection
from django.http import JsonResponse

HEALTH_PATHS = {"/healthz", "/readyz"}


def readiness() -> tuple[bool, str]:
    """Return whether the database answers a trivial query, and why not when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return False, f"database unavailable: {exc.__class__.__name__}"


class HealthCheckMiddleware:
    """Answer /healthz (process up) and /readyz (database reachable) without a Host check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            ready, detail = readiness()
            return JsonResponse(
                {"status": "ok" if ready else "unavailable", "detail": detail},
                status=200 if ready else 503,
            )
        return self.get_response(request)
