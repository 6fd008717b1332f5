"""Celery tasks: thin, idempotent wrappers that call services.

Every module in this package is imported here, so the worker registers all tasks.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
