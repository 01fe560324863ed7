"""The tree reads as the pipeline: extract/ is laid out by stage and every import points down a stage
(or stays inside its own), so there are no circles and no upward arrows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "extract"
# top to bottom; a module may import its own stage and any stage below it
STAGES = [
    ("cli", "the command line"),
    ("report", "pages people look at"),
    ("batch", "many articles: inputs, runner, store"),
    ("front door", "extract_article / aextract_article"),
    ("strategies", "evidence-first, rules-only, single-call, chunking"),
    ("model", "backend seam, embedded server, cache"),
    ("resolve", "actors across mentions and articles, events, codes"),
    ("analysis", "the text without a model"),
    ("base", "settings, errors, the loop thread"),
]
RANK = {name: i for i, (name, _) in enumerate(STAGES)}


def _stage(module: str) -> str:
    parts = module.split(".")[1:]  # drop "extract"
    if not parts or parts[0] in {"__init__", "api"}:
        return "front door"
    if parts[0] in {"settings", "errors", "_portal"}:
        return "base"
    assert parts[0] in RANK, f"extract.{parts[0]} belongs to no stage: add it to STAGES in {__file__}"
    return parts[0]


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    module = module or _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
                names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
            found += [(node.lineno, n) for n in names if n == "extract" or n.startswith("extract.")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("extract.")]
    return found


MODULES = sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_the_pipeline(path: Path) -> None:
    mine = _stage(_module(path))
    upward = [
        f"line {line}: {target} ({_stage(target)}) is above {mine}"
        for line, target in _imports(path)
        if RANK[_stage(target)] < RANK[mine]
    ]
    assert not upward, f"{path.relative_to(ROOT)}: " + "; ".join(upward)


def test_every_stage_is_a_folder_with_an_explicit_api() -> None:
    for name, _ in STAGES:
        if name in {"front door", "base"}:
            continue
        init = ROOT / name / "__init__.py"
        assert init.is_file(), f"stage {name} has no package"
        assert "__all__" in init.read_text(encoding="utf-8"), f"{init} has no __all__"
    flat = sorted(p.name for p in ROOT.glob("*.py"))
    assert flat == ["__init__.py", "_portal.py", "api.py", "errors.py", "settings.py"], flat


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The check can fail: an analysis module importing a strategy is reported."""
    fake = tmp_path / "probe.py"
    fake.write_text("from ..strategies.pipeline import Article\n", encoding="utf-8")
    assert _imports(fake, "extract.analysis.probe") == [(1, "extract.strategies.pipeline")]
    assert RANK[_stage("extract.strategies.pipeline")] < RANK[_stage("extract.analysis.probe")]
