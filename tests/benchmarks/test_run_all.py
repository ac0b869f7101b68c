"""benchmarks/run_all.py: its table and its rows' handling of missing or failing parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import run_all


def test_table_is_markdown_with_one_line_per_row() -> None:
    text = run_all.table([("a", "1 s", "b 2 s", "0.50x (<= 1x)", "met")])
    lines = text.splitlines()
    assert lines[0].startswith("| wait | now |") and lines[1].startswith("|---")
    assert lines[2] == "| a | 1 s | b 2 s | 0.50x (<= 1x) | met |"


def test_start_row_says_not_measured_without_job_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "benchmarks").mkdir()
    monkeypatch.setattr(run_all, "ROOT", tmp_path)
    assert run_all.job_start(True)[1] == "not measured"


def test_a_failing_row_leaves_the_others_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(quick: bool) -> run_all.Row:
        raise RuntimeError("no server")

    def fine(quick: bool) -> run_all.Row:
        return ("fine", "1 s", "base", "1.00x (<= 2x)", run_all._met(True))

    monkeypatch.setattr(run_all, "ROWS", [broken, fine])
    out = tmp_path / "t.md"
    monkeypatch.setattr("sys.argv", ["run_all", "--out", str(out)])
    run_all.main()
    text = out.read_text()
    assert "| broken | failed |" in text and "RuntimeError: no server" in text
    assert "| fine | 1 s | base | 1.00x (<= 2x) | met |" in text
    assert text.strip() in capsys.readouterr().out
