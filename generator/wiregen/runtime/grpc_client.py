"""Sync and ``grpc.aio`` clients behind every generated gRPC client class.

Generated classes declare one method per RPC and hand each call to one of four
drivers here (unary, server-streaming, client-streaming, bidi), sync or async.
Every call runs the same sans-IO loop, :func:`_attempts`: the deadline (all
attempts and backoff sleeps together; each attempt gets what is left), the circuit
breaker of the channel's target, retries of ``UNAVAILABLE`` with full-jitter backoff
(gRPC caps attempts at 5) and the retry budget. A call is retried only while
that is safe: a stream whose first response arrived is committed, and a request
stream is replayed only when it is a sequence (a list or tuple), never a one-shot
iterator. What is left after the policy is done -- a status error, an open circuit,
a passed deadline -- goes to the method's fallback when the client has one.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextvars import ContextVar
from itertools import count
from types import TracebackType
from typing import Any, Final, Generic, Self, TypeVar

import grpc
import grpc.aio
from google.protobuf.message import Message

from .backoff import jittered_delay
from .breaker import BreakerRegistry, CircuitBreaker
from .budget import RetryThrottle
from .bulkhead import Limiter, TaskLimiter, ThreadLimiter
from .clock import SYSTEM_CLOCK, Clock
from .events import Emitter, EventHook
from .policy import (
    DEFAULT_CIRCUIT_BREAKER,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    UNSET,
    BulkheadPolicy,
    CircuitBreakerPolicy,
    RetryBudget,
    RetryPolicy,
    Unset,
    pick,
)
from .resilience_errors import (
    BulkheadFullError,
    CircuitOpenError,
    DeadlineExceededError,
)
from .steps import Acquire, Send, Sleep, Step

MAX_ATTEMPTS: Final = 5
"""gRPC's own limit on attempts per call (A6); larger policies are capped to it."""
DEFAULT_RETRY_CODES: Final = frozenset({grpc.StatusCode.UNAVAILABLE})
# Statuses that say the server (or the way to it) is in trouble; they count against
# the breaker. Application answers (NOT_FOUND, INVALID_ARGUMENT, ...) do not.
BREAKER_FAILURES: Final = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DATA_LOSS,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)

# What a method's fallback answers for: the call failed (after its retries), the circuit
# is open, the bulkhead is full, or the deadline is spent.
_FALLBACK_ERRORS = (grpc.RpcError, BulkheadFullError, CircuitOpenError, DeadlineExceededError)

Metadata = Sequence[tuple[str, str | bytes]]
_Req = TypeVar("_Req", bound=Message)
_Resp = TypeVar("_Resp", bound=Message)
_C = TypeVar("_C", grpc.Channel, grpc.aio.Channel)
_ids = count()

UNARY_UNARY: Final = "unary_unary"
UNARY_STREAM: Final = "unary_stream"
STREAM_UNARY: Final = "stream_unary"
STREAM_STREAM: Final = "stream_stream"


class Method(Generic[_Req, _Resp]):
    """What a generated client knows about one RPC."""

    __slots__ = ("deprecated", "idempotent", "kind", "name", "path", "request", "response")

    def __init__(
        self,
        path: str,
        request: type[_Req],
        response: type[_Resp],
        *,
        name: str,
        kind: str,
        idempotent: bool = False,
        deprecated: bool = False,
    ) -> None:
        self.path = path  # "/a.v1.Service/Method"
        self.request = request
        self.response = response
        self.name = name  # the client method's name, which is also the fallbacks key
        self.kind = kind
        self.idempotent = idempotent
        self.deprecated = deprecated


class CallInfo:
    """How the last call of a client ended, as this thread or task saw it."""

    __slots__ = ("code", "details", "initial_metadata", "trailing_metadata")

    def __init__(
        self,
        code: grpc.StatusCode | None,
        details: str | None,
        initial_metadata: Metadata,
        trailing_metadata: Metadata,
    ) -> None:
        self.code = code
        self.details = details
        self.initial_metadata = tuple(initial_metadata)
        self.trailing_metadata = tuple(trailing_metadata)

    def __repr__(self) -> str:
        return f"CallInfo(code={self.code}, details={self.details!r})"


# ----------------------------------------------------------------- the loop


class _Done:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


class _Plan:
    __slots__ = (
        "attempts",
        "breaker",
        "clock",
        "codes",
        "committed",
        "emit",
        "limiter",
        "max_attempts",
        "max_wait",
        "name",
        "retry",
        "rng",
        "throttle",
        "timeout",
    )

    def __init__(
        self,
        *,
        name: str,
        timeout: float | None,
        retry: RetryPolicy | None,
        replayable: bool,
        codes: frozenset[grpc.StatusCode],
        throttle: RetryThrottle | None,
        breaker: CircuitBreaker | None,
        limiter: Limiter | None,
        max_wait: float,
        clock: Clock,
        rng: random.Random,
        emit: Emitter,
    ) -> None:
        self.name = name
        self.limiter = limiter
        self.max_wait = max_wait
        self.timeout = timeout
        self.retry = retry
        self.max_attempts = 1 if retry is None or not replayable else min(retry.max_attempts, MAX_ATTEMPTS)
        self.codes = codes
        self.throttle = throttle
        self.breaker = breaker
        self.clock = clock
        self.rng = rng
        self.emit = emit
        self.attempts = 0
        self.committed = False  # a response arrived: the call can no longer be retried




def _attempts(plan: _Plan) -> Generator[Step, object, object]:
    """Yields what to do; is sent whether a bulkhead slot was had, then a ``_Done`` or
    the ``grpc.RpcError`` of each attempt. A slot is held for the whole call."""
    clock = plan.clock
    deadline = None if plan.timeout is None else clock.monotonic() + plan.timeout
    limiter = plan.limiter
    if limiter is None:
        return (yield from _tries(plan, deadline))
    wait = plan.max_wait if deadline is None else max(0.0, min(plan.max_wait, deadline - clock.monotonic()))
    if not (yield Acquire(wait)):
        raise BulkheadFullError(f"{plan.name}: too many calls in flight (waited {wait:.3f}s)", attempts=0)
    try:
        return (yield from _tries(plan, deadline))
    finally:
        limiter.release()


def _tries(plan: _Plan, deadline: float | None) -> Generator[Step, object, object]:
    clock = plan.clock
    breaker = plan.breaker
    throttle = plan.throttle
    while True:
        left = None if deadline is None else deadline - clock.monotonic()
        if left is not None and left <= 0:
            raise DeadlineExceededError(f"{plan.name}: deadline of {plan.timeout}s passed", attempts=plan.attempts)
        ticket = 0 if breaker is None else breaker.admit(plan.attempts)
        plan.attempts += 1
        outcome: object = None
        try:
            outcome = yield Send(left)
        finally:
            if outcome is None and breaker is not None:  # cancelled mid-attempt
                breaker.release(ticket)
        if isinstance(outcome, _Done):
            if breaker is not None:
                breaker.record(ticket, False)
            if throttle is not None:
                throttle.on_success()
            return outcome.value
        if not isinstance(outcome, grpc.RpcError):
            raise TypeError(f"unexpected attempt outcome {outcome!r}")
        code = _code(outcome)
        if breaker is not None:
            breaker.record(ticket, code in BREAKER_FAILURES)
        retryable = code in plan.codes
        if throttle is not None:
            if retryable:
                throttle.on_failure()
            elif code not in BREAKER_FAILURES:
                throttle.on_success()
        if code is grpc.StatusCode.DEADLINE_EXCEEDED and deadline is not None:
            raise DeadlineExceededError(
                f"{plan.name}: deadline of {plan.timeout}s passed", attempts=plan.attempts
            ) from outcome
        if not retryable or plan.committed or plan.attempts >= plan.max_attempts or plan.retry is None:
            raise outcome
        if throttle is not None and not throttle.allows_retry():
            raise outcome
        delay = jittered_delay(plan.retry, plan.attempts, plan.rng)
        if deadline is not None and clock.monotonic() + delay >= deadline:
            raise DeadlineExceededError(
                f"{plan.name}: deadline of {plan.timeout}s passed before attempt {plan.attempts + 1}",
                attempts=plan.attempts,
            ) from outcome
        from .event_types import RetryScheduled

        plan.emit(RetryScheduled(plan.name, plan.attempts, delay, f"gRPC {code.name if code else '?'}"))
        yield Sleep(delay)


def _code(error: grpc.RpcError) -> grpc.StatusCode | None:
    code = getattr(error, "code", None)
    result = code() if callable(code) else None
    return result if isinstance(result, grpc.StatusCode) else None


def _info_of_error(error: grpc.RpcError) -> CallInfo:
    def read(name: str) -> Any:
        method = getattr(error, name, None)
        return method() if callable(method) else None

    return CallInfo(_code(error), read("details"), read("initial_metadata") or (), read("trailing_metadata") or ())


# ---------------------------------------------------------------- the clients


class _Shared:
    """What a client shares with its ``with_options`` copies."""

    __slots__ = ("breakers", "clock", "emit", "last", "limiters", "new_limiter", "rng", "throttles")

    def __init__(self, clock: Clock, rng: random.Random, emit: Emitter, new_limiter: Callable[[int], Limiter]) -> None:
        self.limiters: dict[BulkheadPolicy, Limiter] = {}
        self.new_limiter = new_limiter
        self.clock = clock
        self.rng = rng
        self.emit = emit
        self.breakers = BreakerRegistry(clock, emit)
        self.throttles: dict[RetryBudget, RetryThrottle] = {}
        self.last: ContextVar[CallInfo | None] = ContextVar(f"wiregen_grpc_last_call_{next(_ids)}", default=None)

    def limiter(self, policy: BulkheadPolicy) -> Limiter:
        limiter = self.limiters.get(policy)
        if limiter is None:
            limiter = self.limiters.setdefault(policy, self.new_limiter(policy.max_concurrent))
        return limiter

    def throttle(self, budget: RetryBudget) -> RetryThrottle:
        throttle = self.throttles.get(budget)
        if throttle is None:
            throttle = self.throttles.setdefault(budget, RetryThrottle(budget))
        return throttle


class _ClientCore(Generic[_C]):
    """Configuration, policy resolution and fallbacks; everything but the waiting."""

    _channel: _C

    def __init__(
        self,
        target: str | _C,
        *,
        timeout: float | Unset | None = UNSET,
        retry: RetryPolicy | Unset | None = UNSET,
        circuit_breaker: CircuitBreakerPolicy | Unset | None = UNSET,
        bulkhead: BulkheadPolicy | None = None,
        retry_codes: Iterable[grpc.StatusCode] = DEFAULT_RETRY_CODES,
        metadata: Metadata | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        channel_options: Sequence[tuple[str, Any]] | None = None,
        fallbacks: Mapping[str, Callable[[BaseException], Any]] | None = None,
        on_event: EventHook | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if timeout is not UNSET and timeout is not None and not timeout > 0:
            raise ValueError("timeout must be > 0 (or None for no deadline)")
        if isinstance(target, str):
            self.target = target
            self._channel = self._new_channel(target, credentials, tuple(channel_options or ()))
            self._owns_channel = True
        else:
            self.target = str(getattr(target, "_wiregen_target", "") or f"channel-{id(target):x}")
            self._channel = target
            self._owns_channel = False
        self._timeout = timeout
        self._retry = retry
        self._circuit_breaker = circuit_breaker
        self._bulkhead: BulkheadPolicy | None = bulkhead
        self._codes = frozenset(retry_codes)
        self._metadata: tuple[tuple[str, str | bytes], ...] = tuple(metadata or ())
        self._fallbacks = dict(fallbacks or {})
        self._shared = _Shared(clock or SYSTEM_CLOCK, rng or random.Random(), Emitter(on_event), self._new_limiter)
        self._callables: dict[str, Any] = {}

    def _new_channel(
        self, target: str, credentials: grpc.ChannelCredentials | None, options: tuple[tuple[str, Any], ...]
    ) -> _C:
        raise NotImplementedError

    @staticmethod
    def _new_limiter(max_concurrent: int) -> Limiter:
        raise NotImplementedError

    @property
    def channel(self) -> _C:
        return self._channel

    @property
    def last_call(self) -> CallInfo | None:
        """Status and metadata of the last call this thread / task made with this client."""
        return self._shared.last.get()

    def with_options(
        self,
        *,
        timeout: float | Unset | None = UNSET,
        retry: RetryPolicy | Unset | None = UNSET,
        circuit_breaker: CircuitBreakerPolicy | Unset | None = UNSET,
        bulkhead: BulkheadPolicy | Unset | None = UNSET,
        metadata: Metadata | Unset = UNSET,
    ) -> Self:
        """A copy on the same channel (and breakers and budget) with other settings."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._owns_channel = False
        copy._timeout = pick(self._timeout, timeout)
        copy._retry = pick(self._retry, retry)
        copy._circuit_breaker = pick(self._circuit_breaker, circuit_breaker)
        copy._bulkhead = pick(self._bulkhead, bulkhead)
        if not isinstance(metadata, Unset):
            copy._metadata = tuple(metadata)
        return copy

    def _callable(self, method: Method[Any, Any]) -> Any:
        found = self._callables.get(method.path)
        if found is None:
            factory = getattr(self._channel, method.kind)
            found = factory(
                method.path,
                request_serializer=method.request.SerializeToString,
                response_deserializer=method.response.FromString,
            )
            self._callables[method.path] = found
        return found

    def _plan(self, method: Method[Any, Any], timeout: float | None, *, replayable: bool) -> _Plan:
        if method.deprecated:
            warnings.warn(f"RPC {method.path} is deprecated", DeprecationWarning, stacklevel=4)
        shared = self._shared
        retry = pick(DEFAULT_RETRY, self._retry)
        breaker_policy = pick(DEFAULT_CIRCUIT_BREAKER, self._circuit_breaker)
        budget = retry.budget if retry is not None else None
        return _Plan(
            name=method.path,
            timeout=timeout if timeout is not None else pick(DEFAULT_TIMEOUT, self._timeout),
            retry=retry,
            replayable=replayable,
            codes=self._codes,
            throttle=None if budget is None else shared.throttle(budget),
            breaker=None if breaker_policy is None else shared.breakers.get(self.target, breaker_policy),
            limiter=None if self._bulkhead is None else shared.limiter(self._bulkhead),
            max_wait=0.0 if self._bulkhead is None else self._bulkhead.max_wait,
            clock=shared.clock,
            rng=shared.rng,
            emit=shared.emit,
        )

    def _merged(self, metadata: Metadata | None) -> tuple[tuple[str, str | bytes], ...] | None:
        merged = self._metadata + tuple(metadata or ())
        return merged or None

    def _fallback(self, method: Method[Any, Any], error: BaseException) -> Callable[[BaseException], Any]:
        """The method's fallback for ``error``, announced; without one, ``error`` goes on."""
        fallback = self._fallbacks.get(method.name)
        if fallback is None:
            raise error
        from .event_types import FallbackUsed

        self._shared.emit(FallbackUsed(method.path, error))
        return fallback

    def _remember(self, info: CallInfo) -> None:
        self._shared.last.set(info)


def _replayable(requests: object) -> bool:
    return isinstance(requests, Sequence)


class SyncClient(_ClientCore[grpc.Channel]):
    """Base of the generated sync clients: a ``grpc.Channel`` and the call drivers."""

    def _new_channel(
        self, target: str, credentials: grpc.ChannelCredentials | None, options: tuple[tuple[str, Any], ...]
    ) -> grpc.Channel:
        if credentials is None:
            return grpc.insecure_channel(target, options=options)
        return grpc.secure_channel(target, credentials, options=options)

    @staticmethod
    def _new_limiter(max_concurrent: int) -> Limiter:
        return ThreadLimiter(max_concurrent)

    def close(self) -> None:
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _unary_unary(
        self,
        method: Method[_Req, _Resp],
        request: _Req,
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
    ) -> _Resp:
        return self._single(method, request, timeout, metadata, wait_for_ready, replayable=True)

    def _stream_unary(
        self,
        method: Method[_Req, _Resp],
        requests: Iterable[_Req],
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
    ) -> _Resp:
        return self._single(method, requests, timeout, metadata, wait_for_ready, replayable=_replayable(requests))

    def _single(
        self,
        method: Method[Any, _Resp],
        request: Any,
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
        *,
        replayable: bool,
    ) -> _Resp:
        plan = self._plan(method, timeout, replayable=replayable)
        call = self._callable(method)
        md = self._merged(metadata)
        streaming = method.kind == STREAM_UNARY
        loop = _attempts(plan)
        try:
            step = next(loop)
            while True:
                if isinstance(step, Sleep):
                    plan.clock.sleep(step.seconds)
                    step = loop.send(None)
                    continue
                if isinstance(step, Acquire):
                    step = loop.send(_thread_limiter(plan).acquire(step.seconds))
                    continue
                try:
                    response, done = call.with_call(
                        iter(request) if streaming else request,
                        timeout=step.left,
                        metadata=md,
                        wait_for_ready=wait_for_ready,
                    )
                except grpc.RpcError as error:
                    self._remember(_info_of_error(error))
                    step = loop.send(error)
                    continue
                self._remember(CallInfo(done.code(), done.details(), done.initial_metadata() or (), done.trailing_metadata() or ()))
                loop.send(_Done(response))
        except StopIteration as stop:
            result: _Resp = stop.value
            return result
        except _FALLBACK_ERRORS as error:
            value: _Resp = self._fallback(method, error)(error)
            return value
        finally:
            loop.close()

    def _unary_stream(
        self,
        method: Method[_Req, _Resp],
        request: _Req,
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
    ) -> Iterator[_Resp]:
        return self._stream(method, request, timeout, metadata, wait_for_ready, replayable=True)

    def _stream_stream(
        self,
        method: Method[_Req, _Resp],
        requests: Iterable[_Req],
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
    ) -> Iterator[_Resp]:
        return self._stream(method, requests, timeout, metadata, wait_for_ready, replayable=_replayable(requests))

    def _stream(
        self,
        method: Method[Any, _Resp],
        request: Any,
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
        *,
        replayable: bool,
    ) -> Iterator[_Resp]:
        plan = self._plan(method, timeout, replayable=replayable)
        call = self._callable(method)
        md = self._merged(metadata)
        streaming = method.kind == STREAM_STREAM
        loop = _attempts(plan)
        try:
            step = next(loop)
            while True:
                if isinstance(step, Sleep):
                    plan.clock.sleep(step.seconds)
                    step = loop.send(None)
                    continue
                if isinstance(step, Acquire):
                    step = loop.send(_thread_limiter(plan).acquire(step.seconds))
                    continue
                responses = call(
                    iter(request) if streaming else request,
                    timeout=step.left,
                    metadata=md,
                    wait_for_ready=wait_for_ready,
                )
                try:
                    for item in responses:
                        plan.committed = True
                        yield item
                except grpc.RpcError as error:
                    self._remember(_info_of_error(error))
                    step = loop.send(error)
                    continue
                finally:
                    responses.cancel()  # a no-op once the stream ended; stops it when the caller did
                self._remember(
                    CallInfo(
                        responses.code(),
                        responses.details(),
                        responses.initial_metadata() or (),
                        responses.trailing_metadata() or (),
                    )
                )
                loop.send(_Done(None))
        except StopIteration:
            return
        except _FALLBACK_ERRORS as error:
            yield from self._fallback(method, error)(error)
        finally:
            loop.close()


class AsyncClient(_ClientCore[grpc.aio.Channel]):
    """Base of the generated ``grpc.aio`` clients."""

    def _new_channel(
        self, target: str, credentials: grpc.ChannelCredentials | None, options: tuple[tuple[str, Any], ...]
    ) -> grpc.aio.Channel:
        if credentials is None:
            return grpc.aio.insecure_channel(target, options=options)
        return grpc.aio.secure_channel(target, credentials, options=options)

    @staticmethod
    def _new_limiter(max_concurrent: int) -> Limiter:
        return TaskLimiter(max_concurrent)

    async def close(self) -> None:
        if self._owns_channel:
            await self._channel.close()

    async def aclose(self) -> None:
        """The same as ``close()`` (the name the async HTTP clients use)."""
        await self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _unary_unary(
        self,
        method: Method[_Req, _Resp],
        request: _Req,
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
    ) -> _Resp:
        return await self._single(method, request, timeout, metadata, wait_for_ready, replayable=True)

    async def _stream_unary(
        self,
        method: Method[_Req, _Resp],
        requests: Iterable[_Req] | AsyncIterable[_Req],
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
    ) -> _Resp:
        return await self._single(
            method, requests, timeout, metadata, wait_for_ready, replayable=_replayable(requests)
        )

    async def _single(
        self,
        method: Method[Any, _Resp],
        request: Any,
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
        *,
        replayable: bool,
    ) -> _Resp:
        plan = self._plan(method, timeout, replayable=replayable)
        call = self._callable(method)
        md = self._merged(metadata)
        loop = _attempts(plan)
        try:
            step = next(loop)
            while True:
                if isinstance(step, Sleep):
                    await plan.clock.asleep(step.seconds)
                    step = loop.send(None)
                    continue
                if isinstance(step, Acquire):
                    step = loop.send(await _task_limiter(plan).acquire(step.seconds))
                    continue
                pending = call(request, timeout=step.left, metadata=md, wait_for_ready=wait_for_ready)
                try:
                    response = await pending
                except grpc.RpcError as error:
                    self._remember(_info_of_error(error))
                    step = loop.send(error)
                    continue
                self._remember(await _aio_info(pending))
                loop.send(_Done(response))
        except StopIteration as stop:
            result: _Resp = stop.value
            return result
        except _FALLBACK_ERRORS as error:
            value: _Resp = self._fallback(method, error)(error)
            return value
        finally:
            loop.close()

    def _unary_stream(
        self,
        method: Method[_Req, _Resp],
        request: _Req,
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
    ) -> AsyncIterator[_Resp]:
        return self._stream(method, request, timeout, metadata, wait_for_ready, replayable=True)

    def _stream_stream(
        self,
        method: Method[_Req, _Resp],
        requests: Iterable[_Req] | AsyncIterable[_Req],
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
    ) -> AsyncIterator[_Resp]:
        return self._stream(method, requests, timeout, metadata, wait_for_ready, replayable=_replayable(requests))

    async def _stream(
        self,
        method: Method[Any, _Resp],
        request: Any,
        timeout: float | None,
        metadata: Metadata | None,
        wait_for_ready: bool | None,
        *,
        replayable: bool,
    ) -> AsyncIterator[_Resp]:
        plan = self._plan(method, timeout, replayable=replayable)
        call = self._callable(method)
        md = self._merged(metadata)
        loop = _attempts(plan)
        try:
            step = next(loop)
            while True:
                if isinstance(step, Sleep):
                    await plan.clock.asleep(step.seconds)
                    step = loop.send(None)
                    continue
                if isinstance(step, Acquire):
                    step = loop.send(await _task_limiter(plan).acquire(step.seconds))
                    continue
                responses = call(request, timeout=step.left, metadata=md, wait_for_ready=wait_for_ready)
                try:
                    async for item in responses:
                        plan.committed = True
                        yield item
                except grpc.RpcError as error:
                    self._remember(_info_of_error(error))
                    step = loop.send(error)
                    continue
                finally:
                    responses.cancel()
                self._remember(await _aio_info(responses))
                loop.send(_Done(None))
        except StopIteration:
            return
        except _FALLBACK_ERRORS as error:
            async for item in _aiter(self._fallback(method, error)(error)):
                yield item
        finally:
            loop.close()


async def _aio_info(call: Any) -> CallInfo:
    return CallInfo(
        await call.code(),
        await call.details(),
        await call.initial_metadata() or (),
        await call.trailing_metadata() or (),
    )


async def _aiter(values: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
    if isinstance(values, AsyncIterable):
        async for value in values:
            yield value
    else:
        for value in values:
            yield value


def _thread_limiter(plan: _Plan) -> ThreadLimiter:
    limiter = plan.limiter
    if not isinstance(limiter, ThreadLimiter):
        raise TypeError("a sync client's bulkhead is a ThreadLimiter")
    return limiter


def _task_limiter(plan: _Plan) -> TaskLimiter:
    limiter = plan.limiter
    if not isinstance(limiter, TaskLimiter):
        raise TypeError("an async client's bulkhead is a TaskLimiter")
    return limiter
