"""Fixtures of the integration tests (helpers are in helpers.py)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def need_git() -> None:
    if shutil.which("git") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("git is not installed (CI=true: the hook tests need it)")
        pytest.skip("git is not installed")
