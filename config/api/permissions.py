"""The permission matrix: one table says which membership role may read and write what.

Roles rank viewer < member < admin < owner; a role may do what any lower role may. The matrix is
enforced by `TenantRolePermission` (one class for every tenant endpoint) and rendered into each
operation's OpenAPI description by `config.api.schema.TenantAutoSchema`.
"""

from typing import NamedTuple

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from shared_apps.accounts.models import Role
from shared_apps.accounts.selectors import membership_role_get

ROLE_RANK = {Role.VIEWER: 1, Role.MEMBER: 2, Role.ADMIN: 3, Role.OWNER: 4}


class Access(NamedTuple):
    read: str
    write: str
    create: str | None = None  # POST, when it differs from the other writes


VIEWER, MEMBER, ADMIN, OWNER = Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER

# resource → minimum role to read (GET/HEAD/OPTIONS) and to write (POST/PUT/PATCH/DELETE).
PERMISSION_MATRIX: dict[str, Access] = {
    # Work items: members create and edit them.
    "tasks": Access(VIEWER, MEMBER),
    "task-comments": Access(VIEWER, MEMBER),
    "task-labels": Access(VIEWER, MEMBER),
    "sessions": Access(VIEWER, MEMBER),
    "session-events": Access(VIEWER, MEMBER),
    "documents": Access(VIEWER, MEMBER),
    "snippets": Access(VIEWER, MEMBER),
    "decisions": Access(VIEWER, MEMBER),
    # The organisation's structure and vocabulary: admins shape it.
    "projects": Access(VIEWER, ADMIN),
    "repositories": Access(VIEWER, ADMIN),
    "milestones": Access(VIEWER, ADMIN),
    "teams": Access(VIEWER, ADMIN),
    "team-members": Access(VIEWER, ADMIN),
    "roles": Access(VIEWER, ADMIN),
    "task-statuses": Access(VIEWER, ADMIN),
    "labels": Access(VIEWER, ADMIN),
    # Secrets and who gets in: admins only, even to read.
    "webhooks": Access(ADMIN, ADMIN),
    "invitations": Access(ADMIN, ADMIN),
    # Who holds which role: everyone sees it, admins add existing users as they invite people
    # (only owners make owners: see access.membership_add), only owners change or remove.
    "memberships": Access(VIEWER, OWNER, create=ADMIN),
    # Every member manages their own tokens; owners see and revoke everyone's (see selectors).
    "tokens": Access(VIEWER, VIEWER),
    "me": Access(VIEWER, VIEWER),
}

OWN_TOKENS_NOTE = "Members see and revoke only their own tokens; owners see and revoke all."
NOTES = {"tokens": OWN_TOKENS_NOTE, "memberships": "Only owners add owners."}


def required_role(resource: str, method: str) -> str:
    access = PERMISSION_MATRIX[resource]
    if method in SAFE_METHODS:
        return access.read
    return access.create if method == "POST" and access.create else access.write


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def permission_description(resource: str) -> str:
    access = PERMISSION_MATRIX[resource]
    text = f"**Permissions:** read: `{access.read}` or above; write: `{access.write}` or above."
    if access.create:
        text += f" Create: `{access.create}` or above."
    return f"{text} {NOTES[resource]}" if resource in NOTES else text


def request_role(request) -> str | None:
    """Return the requester's membership role in the request's tenant, cached on the request.

    Read inside the request's tenant context, so the RLS-protected Membership table answers.
    """
    django_request = getattr(request, "_request", request)
    if not hasattr(django_request, "membership_role"):
        tenant, user = getattr(django_request, "tenant", None), request.user
        role = None
        if tenant is not None and user and user.is_authenticated:
            role = membership_role_get(user=user, tenant=tenant)
        django_request.membership_role = role
    return django_request.membership_role


class TenantRolePermission(BasePermission):
    """Allow a request when the requester's role meets the matrix entry of the view's resource."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 with the authenticator's challenge
        if getattr(request._request, "tenant", None) is None:
            raise PermissionDenied("This endpoint is served on an organisation's host only.")
        role = request_role(request)
        if role is None:
            raise PermissionDenied("You are not a member of this organisation.")
        minimum = required_role(view.resource, request.method)
        if not role_at_least(role, minimum):
            raise PermissionDenied(f"This needs the {minimum} role or above; you are {role}.")
        return True
