"""wiregen: typed Python clients, servers and message handlers from service contracts."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
