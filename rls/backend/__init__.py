"""Database backend: django-tenants' PostgreSQL backend plus the per-transaction RLS context."""
