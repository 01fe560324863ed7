"""The CLI is a thin skin over the library: run writes JSON + a summary; eval rescoring needs no model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from extract.cli import app
from schemas import ArticleExtraction

runner = CliRunner()
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_run_writes_json_and_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["run", str(SEEDS), "--strategy", "rules-only", "--out", str(tmp_path), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == len(list(SEEDS.glob("*.txt")))
    for f in files:
        parsed = ArticleExtraction.model_validate_json(f.read_text(encoding="utf-8"))
        text = (SEEDS / (f.stem + ".txt")).read_text(encoding="utf-8")
        for item in [*parsed.meetings, *parsed.statements, *parsed.demands]:
            assert all(text[e.start : e.end] == e.text for e in item.evidence)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "| article | meetings | statements | demands |" in summary
    assert "5 article(s)" in result.output


def test_run_json_lines(tmp_path: Path) -> None:
    one = next(SEEDS.glob("002_*.txt"))
    result = runner.invoke(
        app, ["run", str(one), "--strategy", "rules-only", "--out", str(tmp_path), "--json", "--no-cache"]
    )
    assert result.exit_code == 0
    record = json.loads(result.output.strip().splitlines()[0])
    assert record["article"] == one.name and record["statements"]


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    """Asserted on the error itself, not on a rendering that depends on the terminal's width."""
    missing = tmp_path / "nope"
    result = runner.invoke(app, ["run", str(missing)], standalone_mode=False)
    assert isinstance(result.exception, typer.BadParameter)
    assert result.exception.format_message() == f"Invalid value: {missing} is neither a file nor a folder"


@pytest.mark.parametrize("command", [["run"], ["batch", "--out", "o.jsonl"], ["events"]], ids=lambda c: c[0])
def test_an_error_with_a_long_path_is_whole_in_an_80_column_terminal(
    tmp_path: Path, command: list[str]
) -> None:
    """The user of a narrow window reads the whole message: rich never breaks or crops it, the path and
    the explanation stay on one logical line whatever the width and the temporary folder's length."""
    missing = tmp_path / ("long-folder-name-" * 8) / "nope.txt"
    assert len(str(missing)) > 120
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb", "LINES": "24"}
    code = "from extract.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, *command, str(missing)],
        capture_output=True,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert str(missing) in stderr
    assert "Traceback" not in stderr
    line = next(line for line in stderr.splitlines() if str(missing) in line)
    assert ("neither a file nor a folder" in line) or ("expected a folder" in line), line


def test_eval_rescore_and_compare(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "outputs").mkdir(parents=True)
    res = runner.invoke(
        app, ["run", str(SEEDS), "--strategy", "rules-only", "--out", str(run_dir / "outputs"), "--no-cache"]
    )
    assert res.exit_code == 0
    result = runner.invoke(app, ["eval", "--rescore", str(run_dir), "--compare", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "statements" in result.output and "+0.000" in result.output
    assert (run_dir / "report.html").exists()


def test_schema_command_prints_the_contract() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and json.loads(result.output)["title"] == "ArticleExtraction"


def test_a_terminal_that_is_not_utf8_gets_the_run_not_a_crash(tmp_path: Path) -> None:
    """Seeds hold dashes and curly quotes; an ASCII locale (LC_ALL=C without UTF-8 mode) must not kill the
    run at the first one. Files written stay UTF-8 and verbatim."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}
    code = "from extract.cli import main; main()"
    args = ["run", str(SEEDS), "--strategy", "rules-only", "--out", str(tmp_path), "--no-cache"]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    assert b"5 article(s)" in done.stdout
    one = next(SEEDS.glob("004_*.txt"))
    text = one.read_text(encoding="utf-8")
    parsed = ArticleExtraction.model_validate_json(
        (tmp_path / f"{one.stem}.json").read_text(encoding="utf-8")
    )
    assert any(not e.text.isascii() for s in parsed.statements for e in s.evidence)
    assert all(text[e.start : e.end] == e.text for s in parsed.statements for e in s.evidence)
