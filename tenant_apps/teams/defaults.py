"""The roles every tenant starts with (seeded by migration 0002)."""

DEFAULT_ROLES = [
    {"slug": "owner", "name": "Owner", "permissions": ["*"]},
    {
        "slug": "admin",
        "name": "Admin",
        "permissions": ["manage_teams", "manage_settings", "manage_work", "read"],
    },
    {"slug": "member", "name": "Member", "permissions": ["manage_work", "read"]},
    {"slug": "viewer", "name": "Viewer", "permissions": ["read"]},
]
