# syntax=docker/dockerfile:1
# Dev Context image: one image for web (gunicorn, the default CMD), the Celery worker and the
# migration Job (the Helm chart sets their commands). Build from the repository root:
#   docker build -t devcontext:$(git rev-parse --short HEAD) .

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: resolve and install the pinned production requirements into a virtualenv -------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Requirements first, so code changes do not invalidate the dependency layer.
# psycopg[binary] ships its own libpq: no compiler or libpq-dev needed.
COPY requirements/ /tmp/requirements/
RUN pip install --require-virtualenv -r /tmp/requirements/prod.txt

# --- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    STATIC_ROOT=/app/staticfiles

# pg_dump / pg_restore for migrate_schemas --backup, delete_tenant and restore_tenant. pg_dump
# refuses servers newer than itself: use a base image whose postgresql-client is at least the
# server's major version (or install it from the PostgreSQL apt repository).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it (the chart uses 10001).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# Code stays owned by root and read-only for the app user; the root filesystem is read-only in
# the cluster anyway (only /tmp and BACKUP_DIR are writable volumes).
COPY . /app

# Static files are collected at build time (whitenoise serves them from STATIC_ROOT). The
# settings need a SECRET_KEY and must not reach for a database or broker: dummies, for this
# step only. Bytecode is compiled now because the running container cannot write it.
RUN SECRET_KEY=collectstatic-only-not-a-secret \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    python manage.py collectstatic --noinput \
    && python -m compileall -q /app \
    && mkdir -p /backups && chown app:app /backups

USER 10001:10001
EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind=0.0.0.0:8000", "--workers=3", \
     "--threads=4", "--timeout=60", "--worker-tmp-dir=/tmp", "--access-logfile=-", \
     "--error-logfile=-", "--forwarded-allow-ips=*"]
