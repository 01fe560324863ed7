"""The front door's options, written once: both twins show the same typed keyword-only options (completion,
`help()` and type checkers see them), the batch API takes the same ones, and `mypy --strict` accepts a user's
script that uses every option while it rejects a misspelled or mistyped one."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import extract
from extract import ExtractOptions, aextract_article, extract_article
from extract import api as api_module
from extract.batch import aextract_articles, extract_articles
from extract.settings import MODES, STRATEGIES, Settings

ROOT = Path(__file__).resolve().parent.parent
ENV_VARS = [
    "PARLEY_MODEL",
    "PARLEY_BASE_URL",
    "PARLEY_API_KEY",
    "PARLEY_STRATEGY",
    "PARLEY_MODE",
    "PARLEY_CACHE_DIR",
]


def options(fn: typing.Callable[..., object]) -> dict[str, object]:
    """Keyword-only parameters with their resolved types."""
    hints = typing.get_type_hints(fn)
    params = inspect.signature(fn).parameters.values()
    return {p.name: hints[p.name] for p in params if p.kind is p.KEYWORD_ONLY}


def test_both_twins_show_the_same_typed_keyword_only_options() -> None:
    sync, run = inspect.signature(extract_article), inspect.signature(aextract_article)
    assert sync == run  # names, kinds, defaults and annotations
    assert next(iter(sync.parameters)) == "text"
    assert [p.kind for p in list(sync.parameters.values())[1:]] == [inspect.Parameter.KEYWORD_ONLY] * 9
    assert options(extract_article) == options(aextract_article)
    assert len(options(aextract_article)) <= 10
    assert "backend" not in sync.parameters and "timeout" not in sync.parameters  # internals, rare knobs: out
    hints = options(aextract_article)
    assert typing.get_args(hints["strategy"]) == (typing.Literal[STRATEGIES], type(None))
    assert typing.get_args(hints["mode"]) == (typing.Literal[MODES], type(None))
    assert inspect.iscoroutinefunction(aextract_article) and not inspect.iscoroutinefunction(extract_article)
    assert extract_article.__name__ == "extract_article"


def test_the_batch_api_takes_the_same_options() -> None:
    assert typing.get_type_hints(ExtractOptions) == options(aextract_article)
    assert inspect.signature(extract_articles).parameters == inspect.signature(aextract_articles).parameters
    kwargs = inspect.signature(extract_articles).parameters["options"]
    assert kwargs.kind is kwargs.VAR_KEYWORD and "Unpack[ExtractOptions]" in str(kwargs.annotation)


def test_docstrings_say_what_each_option_does_and_its_environment_variable() -> None:
    for fn in (extract_article, aextract_article):
        doc = inspect.getdoc(fn) or ""
        for name in options(aextract_article):
            assert f"\n  {name}: " in doc, (fn.__name__, name)
        for var in ENV_VARS:
            assert var in doc, (fn.__name__, var)
    assert "Blocking twin" in (extract_article.__doc__ or "")


def test_rare_knobs_live_in_settings_and_options_override_them() -> None:
    rare = extract.resolve_settings({}, timeout=5.0, max_transport_retries=1, cache=False)
    assert isinstance(rare, Settings) and rare.timeout == 5.0
    merged = extract.resolve_settings(base=rare, strategy="single-call", cache=None)
    assert (merged.strategy, merged.timeout, merged.cache_dir) == ("single-call", 5.0, None)
    assert extract.resolve_settings(base=rare) is rare  # nothing to change: the same value
    with pytest.raises(extract.ConfigError, match="unknown strategy"):
        extract.resolve_settings(base=rare, strategy="fast")
    result = extract_article("Minister Antov met the envoy in Geneva.", settings=rare, strategy="rules-only")
    assert result.meta.strategy == "rules-only"


def test_a_backend_is_reachable_without_being_an_option() -> None:
    fake = extract.FakeBackend()
    assert api_module.current_backend() is None
    with extract.using_backend(fake):
        assert api_module.current_backend() is fake
        extract_article("Minister Antov met the envoy in Geneva.", cache=False)  # runs on the loop thread
    assert api_module.current_backend() is None
    with pytest.raises(TypeError, match="backend"):
        extract_article("text", backend=fake)  # type: ignore[call-arg]


BAD = """
from extract import aextract_article, extract_article
from extract.batch import extract_articles

extract_article("text", modle="m")
extract_article("text", strategy="fast")
extract_article("text", timeout=5.0)
extract_articles(["text"], mode="xml")
aextract_article("text", "2024-05-01")
"""


def test_mypy_strict_accepts_a_users_script_and_catches_a_misspelled_option(tmp_path: Path) -> None:
    bad = tmp_path / "bad_usage.py"
    bad.write_text(BAD, encoding="utf-8")
    # outside the repository (no project config), silent about errors inside the library itself
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-error-summary"]
    command += ["--cache-dir", str(tmp_path / "mypy-cache"), str(ROOT / "tests" / "user_script.py"), str(bad)]
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    ran = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=170)
    lines = ran.stdout.splitlines()
    assert not [x for x in lines if "user_script.py" in x], ran.stdout + ran.stderr
    flagged = {int(x.split(":")[1]) for x in lines if x.startswith(bad.name) and ": error:" in x}
    assert flagged == {5, 6, 7, 8, 9}, ran.stdout + ran.stderr
