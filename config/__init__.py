"""The project package. `config.celery_app` is the Celery app; every task module imports it.

Not imported eagerly here: management commands that send no task (migrate_schemas above all)
would pay Celery's import time on every run.
"""


def __getattr__(name: str):
    if name == "celery_app":
        from config.celery_app import app

        return app
    raise AttributeError(name)


__all__ = ["celery_app"]
