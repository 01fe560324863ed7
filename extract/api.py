"""The front door: `extract_article()` and its async twin."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import logging
import os
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import date
from pathlib import Path
from typing import Any, ParamSpec, TypedDict, TypeVar

from rapidfuzz import fuzz

import prompts
import schemas
from schemas import (
    Actor,
    ArticleExtraction,
    Demand,
    Evidence,
    Meeting,
    Meta,
    Rejected,
    Statement,
    Usage,
    schema_hash,
)

from ._portal import call_on_loop_thread, run_blocking
from .analysis.actors import default_gazetteer
from .analysis.grounding import locate
from .analysis.text import check_text
from .errors import ConfigError
from .model import server
from .model.backend import Backend, OpenAIBackend, usage_scope
from .model.cache import ResponseCache
from .resolve.codes import code_extraction
from .settings import Mode, Preset, Settings, Strategy, resolve_settings
from .strategies.pipeline import Article, Proposal, run_strategy

__all__ = [
    "ExtractOptions",
    "aextract_article",
    "close",
    "current_backend",
    "extract_article",
    "get_backend",
    "refuse_running_loop",
    "using_backend",
]

log = logging.getLogger("parley")
P = ParamSpec("P")
R = TypeVar("R")
_backend_override: contextvars.ContextVar[Backend | None] = contextvars.ContextVar(
    "parley_backend", default=None
)
_backends: dict[tuple[Any, ...], OpenAIBackend] = {}
_caches: dict[Path, ResponseCache] = {}
_inherited: list[object] = []  # a forked child's copies of the parent's clients and cache handles


def close() -> None:
    """Release what this process holds open: every model client with its keep-alive connections, every
    response cache's database handles, and the embedded model server. A call in flight finishes on its
    client first; the next call opens what it needs again. For a service's shutdown or between test cases."""
    backends, caches = list(_backends.values()), list(_caches.values())
    _backends.clear()
    _caches.clear()

    def close_caches() -> None:
        for cache in caches:
            cache.close()  # SQLite handles are per thread: this thread's

    steps: list[Callable[[], object]] = [
        *(backend.close for backend in backends),
        close_caches,
        lambda: call_on_loop_thread(close_caches),  # and the blocking API's loop thread's
        server.shutdown_embedded,
    ]
    for step in steps:  # one failing step does not keep the server running
        try:
            step()
        except Exception as exc:
            log.warning("close(): %s failed: %r", getattr(step, "__qualname__", step), exc)


def _forget_after_fork() -> None:
    """In a forked child, the parent's clients and cache handles are copies of the parent's connections and
    SQLite handles (SQLite forbids using one across fork): keep them untouched and open new ones."""
    _inherited.extend([*_backends.values(), *_caches.values()])
    _backends.clear()
    _caches.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


@contextlib.contextmanager
def using_backend(backend: Backend) -> Iterator[Backend]:
    """Within this block (this thread or task, and tasks it starts), every extraction asks `backend` instead
    of the configured model, and its results are neither read from nor written to the cache. For tests
    (`FakeBackend().enqueue(...)`) and tools that capture or replay requests; not a front-door option."""
    token = _backend_override.set(backend)
    try:
        yield backend
    finally:
        _backend_override.reset(token)


def current_backend() -> Backend | None:
    """The backend set by the innermost `using_backend` block around this call, if any."""
    return _backend_override.get()


async def _with_backend(backend: Backend | None, coro: Coroutine[Any, Any, R]) -> R:
    """Run `coro` on another thread's loop with the caller's `using_backend` (a context does not travel)."""
    if backend is None:
        return await coro
    with using_backend(backend):
        return await coro


def _cache_for(settings: Settings) -> ResponseCache | None:
    """One response cache per directory, shared by the per-call and the per-article entries."""
    if settings.cache_dir is None:
        return None
    if settings.cache_dir not in _caches:
        _caches[settings.cache_dir] = ResponseCache(settings.cache_dir, prompt_hash=prompts.prompt_hash())
    return _caches[settings.cache_dir]


@functools.cache
def code_fingerprint() -> str:
    """A hash of the extraction code and its data files: a stored whole-article result is only reused by
    the very code that made it (a changed rule must never be hidden by the cache)."""
    digest = hashlib.sha256()
    root = Path(__file__).parent
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in {".py", ".txt", ".json"}]
    for path in [*files, Path(prompts.__file__), Path(schemas.__file__)]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _article_key(text: str, when: date | None, settings: Settings) -> dict[str, Any]:
    return {
        "kind": "article",
        "text": hashlib.sha256(text.encode()).hexdigest(),
        "published": when.isoformat() if when else None,
        "code": code_fingerprint(),
        "schema": schema_hash(),
        "base_url": settings.base_url or "embedded",
        "model": settings.model,
        "strategy": settings.strategy,
        "spacy_model": settings.spacy_model,  # another pipeline reads the text differently
        "mode": settings.resolved_mode(),
        "sampling": [
            settings.temperature,
            settings.seed,
            settings.max_tokens,
            settings.max_validation_retries,
        ],
    }


def get_backend(settings: Settings) -> OpenAIBackend:
    """One shared client (and one embedded server) per model configuration, reused by concurrent calls."""
    base_url: str | Callable[[], str] = settings.base_url or functools.partial(
        server.embedded_base_url, settings.model, settings.model_path
    )  # started on first use
    key = (
        settings.base_url or "embedded",
        settings.model,
        settings.model_path,
        settings.resolved_mode(),
        settings.api_key,
        settings.cache_dir,
        settings.timeout,
        settings.max_transport_retries,
        settings.retry_backoff,
        settings.max_validation_retries,
        settings.temperature,
        settings.max_tokens,
    )
    if key not in _backends:
        _backends[key] = OpenAIBackend(settings, base_url=base_url, cache=_cache_for(settings))
    return _backends[key]


async def aextract_article(
    text: str,
    *,
    published: date | str | None = None,
    preset: Preset | None = None,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    strategy: Strategy | None = None,
    mode: Mode | None = None,
    cache: bool | str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
) -> ArticleExtraction:
    """Extract meetings, statements and demands from one article; every returned item is grounded.

    Options (keyword-only; one left as None comes from `settings`, else the environment, else the default):
      published: the article's publication date (`date` or "YYYY-MM-DD"); relative dates resolve against it.
      preset: "fast" (default: the rules alone, no model), "accurate" (the rules plus the embedded
        Qwen2.5-Coder-1.5B's measured decisions; the default once a `model` or `base_url` is named) or
        "guided" (the model fills the records) (PARLEY_PRESET); an explicit `strategy` or `model` overrides
        the preset's.
      model: model name sent to the server, or the embedded model's key (PARLEY_MODEL).
      base_url: any OpenAI-compatible server (PARLEY_BASE_URL); none: the embedded model is started, shared.
      api_key: the server's key (PARLEY_API_KEY or OPENAI_API_KEY; never logged).
      strategy: "evidence-first", "rules-only" (no model), "guided" or "single-call" (PARLEY_STRATEGY).
      mode: how answers are constrained: "auto" (default), "tools", "json", "json_schema", "md_json"
        (PARLEY_MODE).
      cache: True (default: PARLEY_CACHE_DIR or the user cache dir), False (PARLEY_NO_CACHE=1), or a folder.
      settings: a `Settings` from `resolve_settings(...)` for the rarely used knobs (timeout, retry caps,
        backoff, temperature, seed, max_tokens); the options above override its fields.
    """
    text = check_text(text)
    when = _parse_date(published)
    settings = resolve_settings(
        base=settings,
        preset=preset,
        model=model,
        base_url=base_url,
        api_key=api_key,
        strategy=strategy,
        mode=mode,
        cache=cache,
    )
    backend = current_backend()
    started = time.perf_counter()
    store = _cache_for(settings) if backend is None else None  # a caller's backend is not a known model
    key = _article_key(text, when, settings) if store is not None and store.enabled else None
    if key is not None and store is not None:
        hit = _cached_result(store, key, started)
        if hit is not None:
            return hit
    article = Article(text, when, settings.spacy_model)
    if backend is None and settings.strategy != "rules-only":
        backend = get_backend(settings)
    with usage_scope() as usage:
        proposal = await run_strategy(settings.strategy, article, backend)
    result = _ground(proposal, text)
    result_meta = Meta(
        model=settings.model,
        base_url_host=settings.host,
        strategy=settings.strategy,
        mode=settings.resolved_mode(),
        prompt_version=prompts.PROMPT_VERSION,
        prompt_hash=prompts.prompt_hash(),
        schema_hash=schema_hash(),
        usage=usage,
        cached=usage.cache_hits > 0 and usage.calls == 0,
        elapsed_s=round(time.perf_counter() - started, 4),
    )
    extraction = code_extraction(
        ArticleExtraction(
            meetings=result.meetings,
            statements=result.statements,
            demands=result.demands,
            rejected=result.rejected,
            meta=result_meta,
        )
    )
    if key is not None and store is not None and not proposal.degraded:
        store.set(key, extraction.model_dump(mode="json"))
    return extraction


def _cached_result(cache: ResponseCache, key: dict[str, Any], started: float) -> ArticleExtraction | None:
    """The stored result for this very article, settings and code; its meta says it came from the cache."""
    stored = cache.get(key)
    if stored is None:
        return None
    try:
        hit = ArticleExtraction.model_validate(stored)
    except ValueError:
        return None  # an entry that no longer validates is simply recomputed (and overwritten)
    meta = hit.meta.model_copy(
        update={
            "usage": Usage(cache_hits=1),
            "cached": True,
            "elapsed_s": round(time.perf_counter() - started, 4),
        }
    )
    return hit.model_copy(update={"meta": meta})


class ExtractOptions(TypedDict, total=False):
    """`aextract_article`'s options as a type, for functions that pass them on (`**options:
    Unpack[ExtractOptions]`, as `extract_articles` does). A test holds it equal to the signature."""

    published: date | str | None
    preset: Preset | None
    model: str | None
    base_url: str | None
    api_key: str | None
    strategy: Strategy | None
    mode: Mode | None
    cache: bool | str | os.PathLike[str] | None
    settings: Settings | None


def refuse_running_loop(name: str, instead: str) -> None:
    """A blocking call inside an event loop would block that loop: say which async twin to await."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise ConfigError(f"{name}() was called inside a running event loop: {instead} instead")


def _blocking_twin(afn: Callable[P, Coroutine[Any, Any, R]], name: str) -> Callable[P, R]:
    """The blocking function with `afn`'s very signature (for type checkers and `inspect.signature`): the
    options are written once, on the async function.

    Every blocking call runs on one shared event loop thread, so the HTTP client and its keep-alive
    connections are reused from one call to the next."""

    @functools.wraps(afn)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> R:
        refuse_running_loop(name, f"await {afn.__name__}()")
        backend = current_backend()
        settings = kwargs.get("settings")
        if backend is None and kwargs.get("base_url") is None and getattr(settings, "base_url", None) is None:
            server.install_hooks()  # from the caller's thread: the embedded server may start on the loop thread
        return run_blocking(_with_backend(backend, afn(*args, **kwargs)))

    blocking.__name__ = blocking.__qualname__ = name
    return blocking


extract_article = _blocking_twin(aextract_article, "extract_article")
extract_article.__doc__ = (
    "Blocking twin of `aextract_article`: the same options, the same result, for code without an event loop."
    + "\n\n    "
    + (aextract_article.__doc__ or "").split("\n\n", 1)[1].strip()
)


def _parse_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ConfigError(f"published must be an ISO date (YYYY-MM-DD), got {value!r}") from exc


def _regrounded(evidence: list[Evidence], text: str) -> list[Evidence] | None:
    out = []
    for ev in evidence:
        if 0 <= ev.start <= ev.end <= len(text) and text[ev.start : ev.end] == ev.text:
            out.append(ev)
            continue
        found = locate(ev.text, text, near=ev.start)
        if found is None:
            return None
        out.append(found)
    return out or None


def _ground(p: Proposal, text: str) -> Proposal:
    """Verify every item's evidence (and quote) against the text; move failures to `rejected`. Merge repeats."""
    out = Proposal(rejected=list(p.rejected))
    kinds: list[tuple[str, list[Any], list[Any]]] = [
        ("meeting", p.meetings, out.meetings),
        ("statement", p.statements, out.statements),
        ("demand", p.demands, out.demands),
    ]
    for kind, items, kept in kinds:
        for item in items:
            evidence = _regrounded(item.evidence, text)
            reason = None if evidence else "evidence not found in the article"
            update: dict[str, Any] = {"evidence": evidence}
            if reason is None and isinstance(item, Statement) and item.quote is not None:
                found = locate(item.quote, text)
                if found is None:
                    reason = "quote is not verbatim in the article"
                else:
                    update["quote"] = found.text
            if reason is not None:
                out.rejected.append(Rejected(kind=kind, reason=reason, item=item.model_dump(mode="json")))  # type: ignore[arg-type]
                continue
            kept.append(item.model_copy(update=update))
    out.meetings = _merge_meetings(out.meetings)
    out.statements = _dedupe(
        out.statements, lambda s: (s.speaker.canonical or s.speaker.name, s.quote or s.evidence[0].text)
    )
    # one sentence may ask two things of the same party ("demands that India investigate …, adding that India
    # must not misjudge …"): what is asked is part of a demand's identity
    out.demands = _merge_demands(
        _dedupe(out.demands, lambda d: (d.by.canonical or d.by.name, d.evidence[0].text, d.demand))
    )
    return out


def _dedupe(items: list[Any], key: Any) -> list[Any]:
    seen: set[Any] = set()
    kept = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            kept.append(item)
    return kept


def _people(m: Meeting) -> frozenset[str]:
    return frozenset(_key(a) for a in m.participants)


def _merge_demands(demands: list[Demand]) -> list[Demand]:
    """The same demand told twice ('called on Witkoff to seize the current opportunity' … 'stressed the need
    to seize the current opportunity') is one item with both passages: same or unnamed target, nearly the
    same words, and the same demander, or a person speaking for the institution or country that demands."""
    merged: list[Demand] = []
    for d in demands:
        for i, kept in enumerate(merged):
            if _same_demand(kept, d):
                person = d if kept.by.kind != "person" and d.by.kind == "person" else kept
                merged[i] = kept.model_copy(
                    update={
                        "by": person.by,
                        "of": kept.of or d.of,
                        "evidence": kept.evidence + [e for e in d.evidence if e not in kept.evidence],
                    }
                )
                break
        else:
            merged.append(d)
    return merged


def _same_demand(a: Demand, b: Demand) -> bool:
    if a.evidence[0].start == b.evidence[0].start:
        # two asks of one sentence are two ("demands that India stop …, adding India must not …")
        return False
    if a.of is not None and b.of is not None and _key(a.of) != _key(b.of):
        return False
    kinds = {a.by.kind, b.by.kind}
    if _key(a.by) != _key(b.by) and not ("person" in kinds and kinds & {"organization", "country"}):
        return False  # a spokesman repeats what "the Kremlin" demanded; two people are two demanders
    return fuzz.token_set_ratio(a.demand.lower(), b.demand.lower()) >= 75


def _key(actor: Actor) -> str:
    return (actor.canonical or actor.name).lower()


def _same_place(a: str, b: str) -> bool:
    """'Tokyo' and 'the Prime Minister's office in Tokyo', 'Tokyo' and 'Japan' (a capital and its country)."""
    if a.lower() in b.lower() or b.lower() in a.lower():
        return True
    gaz = default_gazetteer()
    here, there = gaz.exact(a), gaz.exact(b)
    return here is not None and there is not None and here.kind == "country" and here.id == there.id


def _compatible(a: Meeting, b: Meeting) -> bool:
    """Two mentions can be one meeting unless they say different days or places ('met Xi in May … met Xi
    again in Osaka in June'), or one is a meeting of more people in a sentence of its own."""
    if a.date and b.date and a.date != b.date:
        return False
    if a.location and b.location and not _same_place(a.location, b.location):
        return False
    return _people(a) == _people(b) or a.evidence[0].start == b.evidence[0].start


def _merge_meetings(meetings: list[Meeting]) -> list[Meeting]:
    """Mentions of the same meeting (same status, one participant set containing the other) become one item."""
    merged: list[Meeting] = []
    for m in meetings:
        for i, kept in enumerate(merged):
            a, b = _people(kept), _people(m)
            if kept.status == m.status and (a <= b or b <= a) and _compatible(kept, m):
                participants = kept.participants if len(a) >= len(b) else m.participants
                merged[i] = kept.model_copy(
                    update={
                        "participants": participants,
                        "evidence": kept.evidence + [e for e in m.evidence if e not in kept.evidence],
                        "location": kept.location or m.location,
                        "date": kept.date or m.date,
                        "date_text": kept.date_text or m.date_text,
                    }
                )
                break
        else:
            merged.append(m)
    return merged
