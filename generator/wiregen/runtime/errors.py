"""Exceptions raised by generated clients."""

from __future__ import annotations

from typing import Any

import httpx

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


class ResilienceError(Exception):
    """A call ended by the resilience policy rather than by a response.

    ``attempts`` is how many attempts went out on the network (0 when the call was
    rejected before any: open circuit, full bulkhead).
    """

    attempts: int

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class CircuitOpenError(ResilienceError):
    """The circuit for ``host`` is open: the call failed fast, with no network I/O.

    ``retry_after`` is the number of seconds until the breaker lets probe calls
    through again (0 when it already does but all probe slots are taken).
    """

    host: str
    retry_after: float

    def __init__(self, host: str, retry_after: float, *, attempts: int = 0) -> None:
        super().__init__(
            f"circuit open for {host}; probes allowed in {retry_after:.3f}s", attempts=attempts
        )
        self.host = host
        self.retry_after = retry_after


class BulkheadFullError(ResilienceError):
    """Too many calls in flight on this client, and no slot freed up within ``max_wait``."""


class DeadlineExceededError(ResilienceError, TimeoutError):
    """The call's deadline passed (during an attempt, or before a retry could start)."""


class TransportError(ResilienceError):
    """The connection failed (refused, reset, timed out, protocol error) and the
    policy did not retry, or gave up; the ``httpx`` exception is ``__cause__``."""
