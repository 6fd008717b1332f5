"""Test settings with one extra tenant app whose migration Citus refuses."""

from config.settings_test import *  # noqa: F403
from config.settings_test import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "tests.citus.refused"]
INSTALLED_APPS = [*INSTALLED_APPS, "tests.citus.refused"]
