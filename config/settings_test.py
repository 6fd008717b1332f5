"""Test settings: the real settings with a fixed secret and fast password hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("TENANT_BASE_DOMAIN", "localhost")
# Login throttles count in Redis; the suite's keys never mix with a running `make run`'s.
os.environ.setdefault("CACHE_KEY_PREFIX", "devcontext-test")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_AUTOREFRESH = True
