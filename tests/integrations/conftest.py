"""Fixtures of the integration tests (helpers are in helpers.py)."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def need_git() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
