"""When a call may be sent twice, and the idempotency key that makes POST/PATCH safe to.

A retry after a lost response re-executes a non-idempotent request unless the
server can recognise the repeat; the key (one UUID4 per call, the same on every
attempt) is what it recognises.  Without a key, a POST or PATCH is retried only
when the request certainly never left (connection refused / not established).
"""

from __future__ import annotations

import uuid
from typing import Final

import httpx

from .policy import OperationPolicy, Unset

RETRY_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
DEFAULT_IDEMPOTENCY_HEADER: Final = "Idempotency-Key"


def new_key() -> str:
    return str(uuid.uuid4())


def prepare(
    method: str, headers: httpx.Headers, policy: OperationPolicy, override: str | Unset | None
) -> bool:
    """Set the call's idempotency key in ``headers`` if it should carry one; return
    whether the call is retry-safe once it may have reached the server.

    * ``override`` (``with_options(idempotency_key=...)``): a string is the key;
      ``None`` suppresses the automatic one.
    * ``policy.idempotency_header`` (the spec declares a key header): the caller's
      value for it, else a fresh UUID4.
    * ``policy.idempotent`` without a declared header: ``Idempotency-Key: <uuid4>``.

    A key the caller set by hand in the key header also makes the call retry-safe.
    """
    name = policy.idempotency_header or DEFAULT_IDEMPOTENCY_HEADER
    if isinstance(override, str):
        headers[name] = override
    elif (
        override is not None
        and (policy.idempotent or policy.idempotency_header)
        and name not in headers
    ):
        headers[name] = new_key()
    return method in RETRY_SAFE_METHODS or name in headers
