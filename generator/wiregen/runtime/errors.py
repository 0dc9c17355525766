"""Exceptions raised by generated clients."""

from __future__ import annotations

from typing import Any

import httpx

from .resilience_errors import (
    BulkheadFullError,
    CircuitOpenError,
    DeadlineExceededError,
    ResilienceError,
    TransportError,
)

_MAX_BODY_IN_MESSAGE = 300


class ApiError(Exception):
    """A response the caller has to deal with: a non-2xx status (or an invalid body).

    ``body`` is the response body parsed into the documented type when it
    validates, else the raw parsed JSON (or text, or ``None`` when empty).
    Generated code subclasses this once per documented error response.
    """

    status_code: int
    headers: httpx.Headers
    body: Any
    response: httpx.Response

    def __init__(self, response: httpx.Response, body: Any = None) -> None:
        super().__init__(response, body)
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.body = body

    def __str__(self) -> str:
        where = ""
        try:
            request = self.response.request
            where = f" from {request.method} {request.url}"
        except RuntimeError:  # a Response built without a request
            pass
        text = f"HTTP {self.status_code} {self.response.reason_phrase}{where}".rstrip()
        if self.body is not None and self.body != "":
            body = repr(self.body)
            if len(body) > _MAX_BODY_IN_MESSAGE:
                body = body[:_MAX_BODY_IN_MESSAGE] + "…"
            text += f": {body}"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code})"


class UnexpectedStatusError(ApiError):
    """A non-2xx status the API description does not document for this operation."""


class ResponseValidationError(ApiError):
    """A 2xx response whose body does not match the documented type (``__cause__``
    holds the pydantic ``ValidationError``; ``body`` the raw parsed body)."""


# Re-exported: the HTTP client's users import every error from one place.
__all__ = [
    "ApiError",
    "BulkheadFullError",
    "CircuitOpenError",
    "DeadlineExceededError",
    "ResilienceError",
    "ResponseValidationError",
    "TransportError",
    "UnexpectedStatusError",
]
