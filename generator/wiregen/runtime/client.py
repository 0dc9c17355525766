"""Sync and async HTTP clients behind every generated API class.

A call is three steps, shared by both clients:

1. ``_build_request`` — parameters, body, credentials → ``httpx.Request``;
2. ``_send`` — exactly one attempt on the transport (the only step that
   differs between sync and async, and the seam the resilience layer wraps);
3. ``_handle_response`` — status dispatch → return value or ``ApiError``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from itertools import count
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from .auth import AuthParts, resolve_security
from .bodies import encode_body
from .codec import EncodedParams, encode_params
from .responses import error_for, success_value
from .spec import Endpoint, SecurityScheme

DEFAULT_TIMEOUT = 30.0
DEFAULT_USER_AGENT = "wiregen-client"

_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
_ids = count()


class _ClientCore(Generic[_H]):
    """Everything but the transport await."""

    _http: _H

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        http_client: _H | None,
        security_schemes: Sequence[SecurityScheme],
        credentials: Mapping[str, Any] | None,
        user_agent: str | None,
    ) -> None:
        url = httpx.URL(base_url)
        if not url.scheme or not url.host:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        if url.query or url.fragment:
            raise ValueError(f"base_url must not have a query or fragment, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._owns_http = http_client is None
        self._timeout = timeout
        self._headers = {"User-Agent": user_agent or DEFAULT_USER_AGENT, **(headers or {})}
        self._schemes = {s.name: s for s in security_schemes}
        self._credentials = dict(credentials or {})
        self._last: ContextVar[httpx.Response | None] = ContextVar(
            f"wiregen_last_response_{next(_ids)}", default=None
        )
        self._sunset_warned: set[str] = set()

    # -- properties ---------------------------------------------------------

    @property
    def last_response(self) -> httpx.Response | None:
        """The last response this caller (thread / asyncio task) received from this client."""
        return self._last.get()

    @property
    def http_client(self) -> _H:
        return self._http

    # -- shared steps -------------------------------------------------------

    def _build_request(
        self,
        endpoint: Endpoint,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        stacklevel: int,
    ) -> httpx.Request:
        if endpoint.deprecated:
            warnings.warn(
                f"operation {endpoint.name} is deprecated",
                DeprecationWarning,
                stacklevel=stacklevel,
            )
        enc: EncodedParams = encode_params(endpoint, params or {})
        for py_name in enc.deprecated:
            warnings.warn(
                f"parameter {py_name} of operation {endpoint.name} is deprecated",
                DeprecationWarning,
                stacklevel=stacklevel,
            )
        auth: AuthParts = resolve_security(endpoint.security, self._schemes, self._credentials)
        out = httpx.Headers()
        accept = _accept(endpoint)
        if accept:
            out["Accept"] = accept
        out.update(self._headers)
        for name, value in enc.headers:
            out[name] = value
        out.update(auth.headers)
        content: bytes | None = None
        if endpoint.body is not None and body is not None:
            encoded = encode_body(endpoint.body, body)
            content = encoded.content
            out["Content-Type"] = encoded.content_type
        elif endpoint.body is not None and endpoint.body.required:
            raise ValueError(f"operation {endpoint.name} requires a request body")
        if headers:
            out.update(headers)
        query = enc.query + auth.query
        url = self.base_url + enc.path + ("?" + "&".join(query) if query else "")
        effective_timeout = timeout if timeout is not None else self._timeout
        request = self._http.build_request(
            endpoint.method,
            url,
            headers=out,
            content=content,
            timeout=effective_timeout
            if effective_timeout is not None
            else httpx.USE_CLIENT_DEFAULT,
        )
        cookie_pairs: list[str] = [*enc.cookies, *auth.cookies]
        if cookie_pairs:
            jar = request.headers.get("Cookie")
            request.headers["Cookie"] = "; ".join([jar, *cookie_pairs] if jar else cookie_pairs)
        return request

    def _handle_response(
        self, endpoint: Endpoint, response: httpx.Response, stacklevel: int
    ) -> Any:
        self._last.set(response)
        self._warn_sunset(endpoint, response, stacklevel + 1)
        if 200 <= response.status_code < 300:
            return success_value(endpoint, response)
        raise error_for(endpoint, response)

    def _warn_sunset(self, endpoint: Endpoint, response: httpx.Response, stacklevel: int) -> None:
        deprecation = response.headers.get("Deprecation")
        sunset = response.headers.get("Sunset")
        if (deprecation is None and sunset is None) or endpoint.name in self._sunset_warned:
            return
        self._sunset_warned.add(endpoint.name)
        details = ", ".join(
            f"{k}: {v}"
            for k, v in (("Deprecation", deprecation), ("Sunset", sunset))
            if v is not None
        )
        warnings.warn(
            f"the server marks operation {endpoint.name} as deprecated ({details})",
            DeprecationWarning,
            stacklevel=stacklevel,
        )


def _accept(endpoint: Endpoint) -> str:
    seen: dict[str, None] = {}
    for r in endpoint.responses:
        if r.media_type:
            seen.setdefault(r.media_type, None)
    return ", ".join(seen)


class SyncClient(_ClientCore[httpx.Client]):
    """Blocking client.  Pass ``http_client`` to reuse (and keep ownership of) an
    ``httpx.Client``; otherwise one is created with ``timeout`` (default 30 s)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        http_client: httpx.Client | None = None,
        security_schemes: Sequence[SecurityScheme] = (),
        credentials: Mapping[str, Any] | None = None,
        user_agent: str | None = None,
    ) -> None:
        super().__init__(
            base_url,
            headers=headers,
            timeout=timeout,
            http_client=http_client,
            security_schemes=security_schemes,
            credentials=credentials,
            user_agent=user_agent,
        )
        self._http = http_client or httpx.Client(timeout=timeout or DEFAULT_TIMEOUT)

    def call(
        self,
        endpoint: Endpoint,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        stacklevel: int = 2,
    ) -> Any:
        """Perform one operation.  ``params`` maps wire names to values (``None`` =
        omitted); ``stacklevel`` counts frames above ``call`` for warnings (2 = the
        caller of the generated method)."""
        request = self._build_request(endpoint, params, body, headers, timeout, stacklevel + 2)
        response = self._send(request, endpoint)
        return self._handle_response(endpoint, response, stacklevel + 2)

    def _send(self, request: httpx.Request, endpoint: Endpoint) -> httpx.Response:
        """One attempt (the body is read and the connection released)."""
        return self._http.send(request)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_ClientCore[httpx.AsyncClient]):
    """``asyncio`` client; same contract as ``SyncClient`` with ``await``."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        http_client: httpx.AsyncClient | None = None,
        security_schemes: Sequence[SecurityScheme] = (),
        credentials: Mapping[str, Any] | None = None,
        user_agent: str | None = None,
    ) -> None:
        super().__init__(
            base_url,
            headers=headers,
            timeout=timeout,
            http_client=http_client,
            security_schemes=security_schemes,
            credentials=credentials,
            user_agent=user_agent,
        )
        self._http = http_client or httpx.AsyncClient(timeout=timeout or DEFAULT_TIMEOUT)

    async def call(
        self,
        endpoint: Endpoint,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        stacklevel: int = 2,
    ) -> Any:
        """See ``SyncClient.call``."""
        request = self._build_request(endpoint, params, body, headers, timeout, stacklevel + 2)
        response = await self._send(request, endpoint)
        return self._handle_response(endpoint, response, stacklevel + 2)

    async def _send(self, request: httpx.Request, endpoint: Endpoint) -> httpx.Response:
        """One attempt (the body is read and the connection released)."""
        return await self._http.send(request)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
