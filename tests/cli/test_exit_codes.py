"""Exit codes and messages of the commands: total and partial extraction failure, Ctrl-C, an output path that is
a file, predictions without case ids (docs/errors.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from radiogenomics.cli import EXIT_ALL_FAILED, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TOO_MANY_FAILED, app

runner = CliRunner()
ARGS = ["--workers", "1", "--preset-tumour", "default", "--preset-bat", "default"]


def _text(res) -> str:
    return " ".join(res.output.split())


@pytest.fixture
def manifest(synthetic: Path, tmp_path: Path):
    """``manifest(n_corrupt)``: the 3 synthetic cases with the CT of the first ``n_corrupt`` truncated."""

    def make(n_corrupt: int) -> Path:
        table = pd.read_csv(synthetic / "manifest.csv")
        for col in ("ct", "pet", "tumour_mask"):
            table[col] = [str(synthetic / p) for p in table[col]]
        for i in range(n_corrupt):
            bad = tmp_path / f"truncated_{i}.nii.gz"
            bad.write_bytes(Path(table.loc[i, "ct"]).read_bytes()[:2000])
            table.loc[i, "ct"] = str(bad)
        path = tmp_path / f"manifest_{n_corrupt}.csv"
        table.to_csv(path, index=False)
        return path

    return make


def test_every_case_failed_exits_3(manifest, tmp_path: Path) -> None:
    res = runner.invoke(app, ["cohort", "extract", str(manifest(3)), "-o", str(tmp_path / "o"), *ARGS])
    assert res.exit_code == EXIT_ALL_FAILED, res.output
    assert "3 of 3 case(s) failed" in _text(res) and "every case failed extraction" in _text(res)
    assert (tmp_path / "o" / "failures.csv").is_file()  # the tables are written all the same


def test_partial_failure_and_the_allowed_fraction(manifest, tmp_path: Path) -> None:
    path = manifest(1)
    res = runner.invoke(app, ["cohort", "extract", str(path), "-o", str(tmp_path / "a"), *ARGS])
    assert res.exit_code == 0, res.output
    assert "1 of 3 case(s) failed" in _text(res)
    res = runner.invoke(app, ["cohort", "extract", str(path), "-o", str(tmp_path / "a"), *ARGS,
                              "--max-failed-fraction", "0.2"])
    assert res.exit_code == EXIT_TOO_MANY_FAILED, res.output
    assert "1 of 3 cases failed extraction, more than the allowed fraction 0.2" in _text(res)


def test_output_path_that_is_a_file(tmp_path: Path, synthetic: Path) -> None:
    existing = tmp_path / "results.txt"
    existing.write_text("x")
    for args in (["cohort", "extract", str(synthetic / "manifest.csv"), "-o", str(existing)],
                 ["stats", str(existing), "--group", "TP53", "-o", str(existing)],
                 ["run", str(existing), "-o", str(existing)]):
        res = runner.invoke(app, args)
        assert res.exit_code == EXIT_ERROR, res.output
        assert "is a file; give a folder" in _text(res) and "Errno" not in res.output


def test_ctrl_c_in_run_says_how_to_resume(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import radiogenomics.study as study_package

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(study_package, "run_study", interrupt)
    study = tmp_path / "study.yaml"
    study.write_text("data: {synthetic: {n: 12}}\ntargets: [TP53]\n")
    res = runner.invoke(app, ["run", str(study), "-o", str(tmp_path / "out")])
    assert res.exit_code == EXIT_INTERRUPTED
    assert "interrupted" in _text(res) and "run the same command again to resume" in _text(res)


def test_predict_without_case_ids_numbers_the_rows(tmp_path: Path) -> None:
    from radiogenomics.models import make_pipeline
    from radiogenomics.models.persistence import save_model
    from radiogenomics.models.registry import make_model
    from tests.models._synth import cohort

    df = cohort(n=60, p_per_source=3)
    cols = [c for c in df.columns if "__" in c]
    save_model(make_pipeline(make_model("logistic"), cols).fit(df, df["TP53"]), tmp_path / "m", {})
    table = tmp_path / "no_ids.csv"
    df.drop(columns=["case_id"]).to_csv(table, index=False)
    res = runner.invoke(app, ["predict", str(tmp_path / "m"), str(table), "-o", str(tmp_path / "p.csv")])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "p.csv")
    assert list(out.columns) == ["row", "prob"] and out["row"].tolist() == list(range(1, 61))
    assert "no case_id column" in _text(res)
