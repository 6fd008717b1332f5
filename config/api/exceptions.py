"""One error shape for every API error: `{"detail": ...}` or field messages, never a 500 for input.

DRF handles its own exceptions; this adds the Django and database errors that bad input can
still reach (model validation in services, protected deletes, constraint violations).
"""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from psycopg import errors as pg_errors
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from shared_apps.audit.services import DeletionRefused


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        errors = as_serializer_error(exc)
        if set(errors) == {"detail"}:  # a rule about the whole object, not a field: a string
            return _error(status.HTTP_400_BAD_REQUEST, " ".join(map(str, errors["detail"])))
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, DeletionRefused):
        return Response({"detail": str(exc), "holds": exc.holds}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, ProtectedError | RestrictedError):
        return _error(status.HTTP_409_CONFLICT, "Still in use by other objects; remove them first.")
    elif isinstance(exc, IntegrityError):
        if isinstance(exc.__cause__, pg_errors.UniqueViolation):
            return _error(status.HTTP_409_CONFLICT, "An object with these values already exists.")
        return _error(status.HTTP_400_BAD_REQUEST, "The values break a data constraint.")
    elif isinstance(exc, DataError | ValueError) and _is_input_error(exc):
        return _error(status.HTTP_400_BAD_REQUEST, "A value is out of range or not storable.")
    elif isinstance(exc, RequestDataTooBig):
        return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "Request body too large.")
    return exception_handler(exc, context)


def _is_input_error(exc) -> bool:
    # psycopg refuses NUL characters in text with a ValueError; other ValueErrors are bugs.
    return isinstance(exc, DataError) or "NUL" in str(exc)


def _error(code: int, detail: str) -> Response:
    return Response({"detail": detail}, status=code)
