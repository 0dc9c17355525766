"""Validating specs before the frontends read them."""

from __future__ import annotations

from wiregen.validate.openapi import validate_openapi

__all__ = ["validate_openapi"]
