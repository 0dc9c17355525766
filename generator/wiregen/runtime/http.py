"""Public runtime surface used by generated ``_endpoints.py`` and ``client.py``.

Importing this module is cheap: no FastAPI, no ``TypeAdapter`` construction.
"""

from __future__ import annotations

from .client import DEFAULT_TIMEOUT, AsyncClient, SyncClient
from .errors import ApiError, ResponseValidationError, UnexpectedStatusError
from .spec import Body, Endpoint, Param, ResponseSpec, SecurityScheme

__all__ = [
    "DEFAULT_TIMEOUT",
    "ApiError",
    "AsyncClient",
    "Body",
    "Endpoint",
    "Param",
    "ResponseSpec",
    "ResponseValidationError",
    "SecurityScheme",
    "SyncClient",
    "UnexpectedStatusError",
]
