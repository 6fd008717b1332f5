"""OpenAPI generation: each tenant operation's description states who may call it."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from config.api.permissions import PERMISSION_MATRIX, permission_description

ERROR_BODY = {
    "type": "object",
    "description": "`detail` for request-level errors; field name → messages for invalid input.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: messages per field, or malformed JSON.",
    "401": "Missing, invalid, expired or revoked credentials, or a token of another host.",
    "403": "Not a member of this organisation, or the role is below the matrix entry.",
    "404": "No such object in this organisation.",
}
WRITE_ERRORS = {
    "409": "Conflicts with existing data (a duplicate, or still in use).",
    "413": "Request body over API_MAX_BODY_BYTES.",
}


class TenantAutoSchema(AutoSchema):
    """Append the permission matrix row of the view's resource to every operation, and
    document the error answers every endpoint can give (all share one JSON shape)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(ERRORS)
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            errors.update(WRITE_ERRORS)
        for code, description in errors.items():
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": ERROR_BODY}},
                    "description": description,
                },
            )
        return responses

    def get_description(self):
        description = super().get_description() or ""
        resource = getattr(self.view, "resource", None)
        if resource in PERMISSION_MATRIX:
            note = permission_description(resource)
            description = f"{description}\n\n{note}" if description else note
        return description


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describe `Authorization: Bearer <key>` API tokens in the schema."""

    target_class = "shared_apps.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`dc_…`) of this host's organisation.",
        }


SHOWN_ONCE = "returned once"


def shown_once_fields_are_optional(result, generator, request, public):
    """Secrets shown once (token keys, webhook secrets) are absent from later responses."""
    for component in result.get("components", {}).get("schemas", {}).values():
        properties = component.get("properties", {})
        once = {n for n, p in properties.items() if SHOWN_ONCE in p.get("description", "")}
        if once and "required" in component:
            component["required"] = [name for name in component["required"] if name not in once]
    return result
