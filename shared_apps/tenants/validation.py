"""Tenant slug rules, checked before anything touches the database."""

import re

from django.core.exceptions import ValidationError

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,49}$")
RESERVED_SLUGS = frozenset({"public", "www", "admin", "api", "static", "media", "template"})
SCHEMA_PREFIX = "t_"


def validate_tenant_slug(slug: str) -> str:
    """Return the slug if it may name a tenant, else raise ValidationError saying why."""
    if not isinstance(slug, str) or not slug:
        raise ValidationError("A slug is required.", code="required")
    if len(slug) < 2 or len(slug) > 50:
        raise ValidationError("A slug has 2 to 50 characters.", code="length")
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            "A slug uses lowercase letters, digits and '-', and starts with a letter.",
            code="invalid",
        )
    if slug.endswith("-") or "--" in slug:
        raise ValidationError("A slug cannot end with '-' or contain '--'.", code="invalid")
    if slug in RESERVED_SLUGS or slug.startswith("pg-"):  # "_" never passes the pattern
        raise ValidationError(f"'{slug}' is reserved.", code="reserved")
    return slug


def schema_name_for_slug(slug: str) -> str:
    """Derive the PostgreSQL schema name: a fixed prefix keeps it clear of system schemas."""
    validate_tenant_slug(slug)
    # The slug pattern admits only [a-z0-9-]; '-' is the one character not valid unquoted.
    return SCHEMA_PREFIX + slug.replace("-", "_")
