"""One way to read a database URL and to reach the same database outside Django's ORM."""

import environ


def database_config(url: str) -> dict:
    """Parse a DATABASE_URL into a Django DATABASES entry.

    django-environ accepts a socket directory only as `postgres://user@/db?host=/dir` and puts
    it in OPTIONS; it is lifted to HOST/PORT here, where every reader of the dict looks.
    """
    config = environ.Env.db_url_config(url)
    options = config.setdefault("OPTIONS", {})
    for key in ("host", "port"):
        value = options.pop(key, None)
        if value and not config.get(key.upper()):
            config[key.upper()] = str(value)
    return config


def libpq_params(config: dict, **overrides) -> dict:
    """Return psycopg/libpq keyword arguments for a DATABASES entry (empty values dropped)."""
    params = {
        "dbname": config.get("NAME"),
        "user": config.get("USER"),
        "password": config.get("PASSWORD"),
        "host": config.get("HOST"),
        "port": config.get("PORT"),
        **overrides,
    }
    return {key: str(value) for key, value in params.items() if value}
