"""Sync and async HTTP clients behind every generated API class.

A call, shared by both clients except where it waits:

1. ``_build_request`` -- parameters, body, credentials -> ``httpx.Request``;
2. ``_plan`` -- the operation's resilience policy resolved (``with_options`` >
   constructor > spec > defaults) into an ``attempts.CallPlan``;
3. ``_drive`` -- runs the shared sans-IO loop ``attempts.run`` (deadline, breaker,
   retries, backoff, bulkhead); each attempt goes through ``_send``, the one seam
   that touches the transport;
4. ``_handle_response`` -- status dispatch -> return value or ``ApiError``;
   a configured fallback may replace a resilience failure.

Only ``_drive``, ``_attempt`` and ``_send`` exist twice (blocking and ``await``).
"""

from __future__ import annotations

import inspect
import random
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from itertools import count
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

import httpx

from . import idempotency
from .attempts import CallPlan, Resolved, run
from .auth import AuthParts, resolve_security
from .bodies import encode_body
from .breaker import BreakerRegistry
from .budget import RetryThrottle
from .bulkhead import Limiter, TaskLimiter, ThreadLimiter
from .clock import SYSTEM_CLOCK, Clock
from .codec import EncodedParams, encode_params
from .errors import ApiError, ResilienceError
from .events import Emitter, EventHook
from .policy import (
    DEFAULT_CIRCUIT_BREAKER,
    DEFAULT_OPERATION_POLICY,
    DEFAULT_RETRY,
    DEFAULT_RETRY_STATUSES,
    DEFAULT_TIMEOUT,
    UNSET,
    BulkheadPolicy,
    CircuitBreakerPolicy,
    OperationPolicy,
    Options,
    RetryBudget,
    RetryPolicy,
    Unset,
    pick,
)
from .responses import error_for, success_value
from .spec import Endpoint, SecurityScheme
from .steps import Send, Sleep
from .tracing import call_span

DEFAULT_USER_AGENT = "wiregen-client"

_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
_ids = count()
_MAX_RESOLVED = 1024


class _Shared:
    """State a client shares with its ``with_options`` copies: they are one client
    to the server, so they count against the same breakers, budget and bulkhead."""

    __slots__ = (
        "_limiters",
        "_new_limiter",
        "_throttles",
        "breakers",
        "clock",
        "emit",
        "last",
        "rng",
        "sunset_warned",
    )

    def __init__(
        self,
        clock: Clock,
        rng: random.Random,
        emit: Emitter,
        new_limiter: Callable[[int], Limiter],
    ) -> None:
        self.clock = clock
        self.rng = rng
        self.emit = emit
        self.breakers = BreakerRegistry(clock, emit)
        self._throttles: dict[RetryBudget, RetryThrottle] = {}
        self._limiters: dict[BulkheadPolicy, Limiter] = {}
        self._new_limiter = new_limiter
        self.last: ContextVar[httpx.Response | None] = ContextVar(
            f"wiregen_last_response_{next(_ids)}", default=None
        )
        self.sunset_warned: set[str] = set()

    def throttle(self, budget: RetryBudget) -> RetryThrottle:
        # setdefault is atomic under the GIL: racing callers end up with one bucket.
        throttle = self._throttles.get(budget)
        if throttle is None:
            throttle = self._throttles.setdefault(budget, RetryThrottle(budget))
        return throttle

    def limiter(self, policy: BulkheadPolicy) -> Limiter:
        limiter = self._limiters.get(policy)
        if limiter is None:
            limiter = self._limiters.setdefault(policy, self._new_limiter(policy.max_concurrent))
        return limiter


def _origin(url: httpx.URL) -> str:
    """``scheme://host:port``: what a circuit breaker is kept for."""
    port = url.port or (443 if url.scheme == "https" else 80)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{port}"


def _check_timeout(timeout: float | Unset | None) -> None:
    if isinstance(timeout, int | float) and not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds or None, got {timeout!r}")


class _ClientCore(Generic[_H]):
    """Everything but the waiting: configuration, request building, policy
    resolution, response handling, fallbacks and ``with_options``."""

    # The instance attributes that make up a client.  ``with_options`` copies only
    # these, so what a subclass caches in its ``__dict__`` (the generated clients'
    # per-tag API objects, ``functools.cached_property``) is rebuilt on the copy.
    _RUNTIME_ATTRIBUTES: ClassVar[tuple[str, ...]] = (
        "base_url",
        "_origin",
        "_owns_http",
        "_http",
        "_headers",
        "_schemes",
        "_credentials",
        "_options",
        "_fallbacks",
        "_shared",
    )
    # Per-instance, not copied: ``_resolved`` caches policies resolved with ``_options``.

    base_url: str
    _origin: str
    _owns_http: bool
    _http: _H
    _headers: dict[str, tuple[str, str]]  # lower-case name -> (name, value)
    _schemes: dict[str, SecurityScheme]
    _credentials: dict[str, Any]
    _options: Options
    _fallbacks: dict[str, Callable[..., Any]]
    _shared: _Shared
    _resolved: dict[int, tuple[Endpoint, OperationPolicy, Resolved]]

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | Unset | None = UNSET,
        http_client: _H | None = None,
        security_schemes: Sequence[SecurityScheme] = (),
        credentials: Mapping[str, Any] | None = None,
        user_agent: str | None = None,
        retry: RetryPolicy | Unset | None = UNSET,
        circuit_breaker: CircuitBreakerPolicy | Unset | None = UNSET,
        bulkhead: BulkheadPolicy | None = None,
        fallbacks: Mapping[str, Callable[..., Any]] | None = None,
        on_event: EventHook | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """``timeout`` is the deadline of one call -- all attempts and backoff sleeps --
        in seconds (default 30; ``None``: no deadline).  Pass ``http_client`` to reuse
        (and keep ownership of) an httpx client; its own timeouts then also limit
        each attempt.  See ``policy.py`` for ``retry``/``circuit_breaker``/``bulkhead``
        (``None`` switches a mechanism off), ``fallbacks`` maps operation names to
        ``fallback(error)`` callables."""
        url = httpx.URL(base_url)
        if not url.scheme or not url.host:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        if url.query or url.fragment:
            raise ValueError(f"base_url must not have a query or fragment, got {base_url!r}")
        _check_timeout(timeout)
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(url)
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else self._new_http(DEFAULT_TIMEOUT if timeout is UNSET else timeout)
        )
        self._headers = _header_items(
            {"User-Agent": user_agent or DEFAULT_USER_AGENT, **(headers or {})}
        )
        self._schemes = {s.name: s for s in security_schemes}
        self._credentials = dict(credentials or {})
        self._options = Options(
            timeout=timeout, retry=retry, circuit_breaker=circuit_breaker, bulkhead=bulkhead
        )
        self._fallbacks = dict(fallbacks or {})
        self._resolved = {}
        self._shared = _Shared(
            clock or SYSTEM_CLOCK, rng or random.Random(), Emitter(on_event), self._new_limiter
        )

    # -- what differs between sync and async construction ----------------------

    @staticmethod
    def _new_http(timeout: float | None) -> _H:
        raise NotImplementedError

    @staticmethod
    def _new_limiter(max_concurrent: int) -> Limiter:
        raise NotImplementedError

    # -- properties and copies ---------------------------------------------------

    @property
    def last_response(self) -> httpx.Response | None:
        """The last response this caller (thread / asyncio task) received from this
        client or one of its ``with_options`` copies."""
        return self._shared.last.get()

    @property
    def http_client(self) -> _H:
        return self._http

    def with_options(
        self,
        *,
        timeout: float | Unset | None = UNSET,
        retry: RetryPolicy | Unset | None = UNSET,
        circuit_breaker: CircuitBreakerPolicy | Unset | None = UNSET,
        bulkhead: BulkheadPolicy | Unset | None = UNSET,
        fallbacks: Mapping[str, Callable[..., Any]] | Unset | None = UNSET,
        headers: Mapping[str, str] | Unset = UNSET,
        idempotency_key: str | Unset | None = UNSET,
    ) -> Self:
        """A copy with other settings, for single calls: ``client.with_options(
        timeout=2).pets.get_pet(...)``.  Unset arguments keep this client's value.

        The copy shares the httpx client (and never closes it), the circuit
        breakers, the retry budget and the bulkheads.  ``headers`` are added to
        the default headers; ``idempotency_key`` is sent as the key of the copy's
        calls (``None``: no automatic key).
        """
        _check_timeout(timeout)
        clone = object.__new__(type(self))
        for name in self._RUNTIME_ATTRIBUTES:
            setattr(clone, name, getattr(self, name))
        clone._owns_http = False
        clone._resolved = {}
        clone._options = Options(
            timeout=timeout,
            retry=retry,
            circuit_breaker=circuit_breaker,
            bulkhead=bulkhead,
            idempotency_key=idempotency_key,
        ).over(self._options)
        if not isinstance(fallbacks, Unset):
            clone._fallbacks = dict(fallbacks or {})
        if not isinstance(headers, Unset):
            clone._headers = {**self._headers, **_header_items(headers)}
        return clone

    def circuit_states(self) -> Iterator[tuple[str, str]]:
        """``(host, state)`` of every circuit breaker this client has used."""
        for breaker in self._shared.breakers:
            yield breaker.host, breaker.state.value

    # -- shared steps -------------------------------------------------------------

    def _build_request(
        self,
        endpoint: Endpoint,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
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
        # Header names are case-insensitive: keyed by lower-case name, later wins.
        # (A plain dict: httpx.Headers operations cost microseconds each.)
        out: dict[str, tuple[str, str]] = {}
        accept = endpoint.accept_header()
        if accept:
            out["accept"] = ("Accept", accept)
        out.update(self._headers)
        for name, value in enc.headers:
            out[name.lower()] = (name, value)
        for name, value in auth.headers.items():
            out[name.lower()] = (name, value)
        content: bytes | None = None
        if endpoint.body is not None and body is not None:
            encoded = encode_body(endpoint.body, body)
            content = encoded.content
            out["content-type"] = ("Content-Type", encoded.content_type)
        elif endpoint.body is not None and endpoint.body.required:
            raise ValueError(f"operation {endpoint.name} requires a request body")
        if headers:
            for name, value in headers.items():
                out[name.lower()] = (name, value)
        query = enc.query + auth.query
        url = self.base_url + enc.path + ("?" + "&".join(query) if query else "")
        request = self._http.build_request(
            endpoint.method, url, headers=list(out.values()), content=content
        )
        cookie_pairs: list[str] = [*enc.cookies, *auth.cookies]
        if cookie_pairs:
            jar = request.headers.get("Cookie")
            request.headers["Cookie"] = "; ".join([jar, *cookie_pairs] if jar else cookie_pairs)
        return request

    def _plan(self, endpoint: Endpoint, request: httpx.Request, timeout: float | None) -> CallPlan:
        """The call's policy: ``call(timeout=)`` > ``with_options`` > constructor >
        spec (``endpoint.policy``) > defaults."""
        cached = self._resolved.get(id(endpoint))
        if (
            cached is None
            or cached[0] is not endpoint
            or cached[2].client_timeout is not self._http.timeout  # reassigned since
        ):
            cached = self._resolve(endpoint)
        _, spec, policy = cached
        if (
            request.method in idempotency.RETRY_SAFE_METHODS
            and not (spec.idempotent or spec.idempotency_header)
            and self._options.idempotency_key is UNSET
        ):
            retry_safe = True  # the common case, without looking at the headers
        else:
            retry_safe = idempotency.prepare(
                request.method, request.headers, spec, self._options.idempotency_key
            )
        return CallPlan(policy, request, retry_safe, policy.timeout if timeout is None else timeout)

    def _resolve(self, endpoint: Endpoint) -> tuple[Endpoint, OperationPolicy, Resolved]:
        spec = endpoint.policy or DEFAULT_OPERATION_POLICY
        options = self._options
        retry = pick(DEFAULT_RETRY, options.retry, spec.retry)
        breaker = pick(DEFAULT_CIRCUIT_BREAKER, options.circuit_breaker, spec.circuit_breaker)
        bulkhead = pick(None, options.bulkhead)
        shared = self._shared
        policy = Resolved(
            operation=endpoint.name,
            timeout=pick(
                DEFAULT_TIMEOUT, options.timeout, UNSET if spec.timeout is None else spec.timeout
            ),
            client_timeout=self._http.timeout,
            retry=retry,
            throttle=None
            if retry is None or retry.budget is None
            else shared.throttle(retry.budget),
            breaker=None if breaker is None else shared.breakers.get(self._origin, breaker),
            limiter=None if bulkhead is None else shared.limiter(bulkhead),
            max_wait=0.0 if bulkhead is None else bulkhead.max_wait,
            clock=shared.clock,
            rng=shared.rng,
            emit=shared.emit,
        )
        if len(self._resolved) >= _MAX_RESOLVED:  # endpoints made on the fly: stay bounded
            self._resolved.clear()
        # Keyed by identity (hashing an Endpoint hashes all its parameters); the
        # endpoint is kept in the value so that its id cannot be reused meanwhile.
        entry = (endpoint, spec, policy)
        self._resolved[id(endpoint)] = entry
        return entry

    def _handle_response(
        self, endpoint: Endpoint, response: httpx.Response, stacklevel: int
    ) -> Any:
        self._shared.last.set(response)
        self._warn_sunset(endpoint, response, stacklevel + 1)
        if 200 <= response.status_code < 300:
            return success_value(endpoint, response)
        raise error_for(endpoint, response)

    def _fallback_for(
        self, endpoint: Endpoint, plan: CallPlan, error: Exception
    ) -> Callable[..., Any] | None:
        """The operation's fallback if ``error`` is one it stands in for: a
        resilience failure, or a retryable status the retries did not get past."""
        fallback = self._fallbacks.get(endpoint.name)
        if fallback is None:
            return None
        if not isinstance(error, ResilienceError):
            retry = plan.policy.retry
            statuses = DEFAULT_RETRY_STATUSES if retry is None else retry.retry_statuses
            if not (isinstance(error, ApiError) and error.status_code in statuses):
                return None
        from .event_types import FallbackUsed

        self._shared.emit(FallbackUsed(endpoint.name, error))
        return fallback

    def _warn_sunset(self, endpoint: Endpoint, response: httpx.Response, stacklevel: int) -> None:
        deprecation = sunset = None
        for key, value in response.headers.raw:  # one pass; Headers.get scans per call
            key = key.lower()
            if key == b"deprecation":
                deprecation = value.decode("latin-1")
            elif key == b"sunset":
                sunset = value.decode("latin-1")
        warned = self._shared.sunset_warned
        if (deprecation is None and sunset is None) or endpoint.name in warned:
            return
        warned.add(endpoint.name)
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
        from .event_types import DeprecationNotice

        self._shared.emit(DeprecationNotice(endpoint.name, deprecation, sunset))


def _header_items(headers: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    return {name.lower(): (name, value) for name, value in headers.items()}


class _DeadlineStream(httpx.SyncByteStream):
    """A response body that stops at the call's deadline.  Each blocking read is
    already limited by the attempt's timeout; this stops a body that keeps
    trickling in, checked between chunks (async clients cut exactly instead)."""

    def __init__(self, inner: httpx.SyncByteStream, clock: Clock, deadline: float) -> None:
        self._inner = inner
        self._clock = clock
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if self._clock.monotonic() > self._deadline:
                raise TimeoutError("the call's deadline passed while reading the response body")
            yield chunk

    def close(self) -> None:
        self._inner.close()


class SyncClient(_ClientCore[httpx.Client]):
    """Blocking client.  Pass ``http_client`` to reuse (and keep ownership of) an
    ``httpx.Client``; otherwise one is created with ``timeout`` (default 30 s)."""

    @staticmethod
    def _new_http(timeout: float | None) -> httpx.Client:
        return httpx.Client(timeout=timeout)

    @staticmethod
    def _new_limiter(max_concurrent: int) -> Limiter:
        return ThreadLimiter(max_concurrent)

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
        """Perform one operation.  ``params`` maps Python (or wire) names to values
        (``None`` = omitted); ``timeout`` overrides the call's deadline;
        ``stacklevel`` counts frames above ``call`` for warnings (2 = the caller of
        the generated method)."""
        request = self._build_request(endpoint, params, body, headers, stacklevel + 2)
        plan = self._plan(endpoint, request, timeout)
        with call_span(plan):
            try:
                response = self._drive(plan, endpoint)
                return self._handle_response(endpoint, response, stacklevel + 2)
            except Exception as error:
                fallback = self._fallback_for(endpoint, plan, error)
                if fallback is None:
                    raise
                return fallback(error)

    def _drive(self, plan: CallPlan, endpoint: Endpoint) -> httpx.Response:
        """Run the shared loop, blocking where it waits."""
        steps = run(plan)
        clock = plan.policy.clock
        try:
            step = next(steps)
            while True:
                if isinstance(step, Send):
                    step = steps.send(self._attempt(plan.request, endpoint, step.left, clock))
                elif isinstance(step, Sleep):
                    clock.sleep(step.seconds)
                    step = steps.send(None)
                else:
                    limiter = plan.policy.limiter
                    assert isinstance(limiter, ThreadLimiter)
                    step = steps.send(limiter.acquire(step.seconds))
        except StopIteration as done:
            response: httpx.Response = done.value
            return response
        finally:
            steps.close()

    def _attempt(
        self, request: httpx.Request, endpoint: Endpoint, left: float | None, clock: Clock
    ) -> httpx.Response | Exception:
        """One attempt, body read; a transport failure is returned, not raised."""
        try:
            response = self._send(request, endpoint)
        except httpx.TransportError as error:
            return error
        try:
            if left is not None and isinstance(response.stream, httpx.SyncByteStream):
                response.stream = _DeadlineStream(response.stream, clock, clock.monotonic() + left)
            response.read()
        except (httpx.TransportError, TimeoutError) as error:
            response.close()
            return error
        except BaseException:
            response.close()
            raise
        return response

    def _send(self, request: httpx.Request, endpoint: Endpoint) -> httpx.Response:
        """The single-attempt seam: send ``request`` once and return the response
        (its body may be left unread: the caller reads it within the deadline)."""
        return self._http.send(request, stream=True)

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
    """``asyncio`` client; same contract as ``SyncClient`` with ``await`` (fallbacks
    may be coroutine functions)."""

    @staticmethod
    def _new_http(timeout: float | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout)

    @staticmethod
    def _new_limiter(max_concurrent: int) -> Limiter:
        return TaskLimiter(max_concurrent)

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
        request = self._build_request(endpoint, params, body, headers, stacklevel + 2)
        plan = self._plan(endpoint, request, timeout)
        with call_span(plan):
            try:
                response = await self._drive(plan, endpoint)
                return self._handle_response(endpoint, response, stacklevel + 2)
            except Exception as error:
                fallback = self._fallback_for(endpoint, plan, error)
                if fallback is None:
                    raise
                result = fallback(error)
                if inspect.isawaitable(result):
                    result = await result
                return result

    async def _drive(self, plan: CallPlan, endpoint: Endpoint) -> httpx.Response:
        """Run the shared loop, awaiting where it waits."""
        steps = run(plan)
        clock = plan.policy.clock
        try:
            step = next(steps)
            while True:
                if isinstance(step, Send):
                    step = steps.send(await self._attempt(plan.request, endpoint, step.left))
                elif isinstance(step, Sleep):
                    await clock.asleep(step.seconds)
                    step = steps.send(None)
                else:
                    limiter = plan.policy.limiter
                    assert isinstance(limiter, TaskLimiter)
                    step = steps.send(await limiter.acquire(step.seconds))
        except StopIteration as done:
            response: httpx.Response = done.value
            return response
        finally:
            steps.close()

    async def _attempt(
        self, request: httpx.Request, endpoint: Endpoint, left: float | None
    ) -> httpx.Response | Exception:
        """One attempt, body read, cut exactly at the deadline; a transport failure
        (or ``TimeoutError`` at the deadline) is returned, not raised."""
        import asyncio  # already loaded by any running loop; not paid by sync users

        response: httpx.Response | None = None
        try:
            async with asyncio.timeout(left):
                response = await self._send(request, endpoint)
                await response.aread()
        except (httpx.TransportError, TimeoutError) as error:
            if response is not None:
                await response.aclose()
            return error
        except BaseException:
            if response is not None:
                await response.aclose()
            raise
        return response

    async def _send(self, request: httpx.Request, endpoint: Endpoint) -> httpx.Response:
        """The single-attempt seam (see ``SyncClient._send``)."""
        return await self._http.send(request, stream=True)

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
