"""Headless Chromium for browser tests: Debian's package, never a downloaded browser."""

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"needs Debian's chromium at {CHROMIUM} (.ci/run installs it: apt-get install chromium)",
)


def chromium_launch(playwright):
    """Start headless Chromium resolving every *.localhost host to this machine."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--headless",
            "--disable-gpu",
            "--host-resolver-rules=MAP *.localhost 127.0.0.1",
        ],
    )
