"""Celery tasks: thin, idempotent wrappers that call services."""
