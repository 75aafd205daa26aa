"""Running a whole study: every stage's artefacts, provenance, skipping unchanged stages, failures, resuming."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from radiogenomics.study import STAGES, StageError, run_study
from tests.study.tiny import TINY, tiny_settings

pytestmark = pytest.mark.slow  # whole studies


def test_every_stage_ran_and_wrote_its_artefacts(tiny_study) -> None:
    settings, out, result = tiny_study
    expected = {s: "ran" for s in STAGES}
    if not settings.cluster.enabled:
        expected["cluster"] = "disabled"
    expected["validation"] = "disabled"  # no external cohort in the tiny study (tests/study/test_validation.py)
    assert result.status == expected
    features = pd.read_parquet(out / "features.parquet")
    assert len(features) == 30 and any(c.startswith("tumour_pet__") for c in features.columns)
    for path in ("failures.csv", "status.csv", "stats/TP53/compare_groups.parquet",
                 "stats/TP53/figures/volcano_grid.png", "models/TP53/metrics.json", "cnn/TP53/metrics.json",
                 "cnn/TP53/delong.json", "report.html",
                 "provenance.json", "data/manifest.csv",
                 *(["cluster/cluster.json"] if settings.cluster.enabled else [])):
        assert (out / path).is_file(), path
    records = json.loads((out / "models" / "TP53" / "metrics.json").read_text())
    assert {r["source"] for r in records} >= {"tumour_ct", "tumour_pet", "fused", "clinical"}
    # the CNN and the radiomics models it is compared with share one table (same splits and metrics)
    cnn = pd.DataFrame(json.loads((out / "cnn" / "TP53" / "metrics.json").read_text()))
    assert {"resnet10", "lasso"} <= set(cnn["model"])
    per_model = cnn.groupby(["model", "source"]).size()
    assert per_model.nunique() == 1  # every model has every metric for every split


def test_progress_events_name_every_stage(tiny_study) -> None:
    settings, _, result = tiny_study
    kinds = {(e.stage, e.kind) for e in result.events}
    for stage in (s for s in STAGES if (s != "cluster" or settings.cluster.enabled) and s != "validation"):
        assert (stage, "start") in kinds and (stage, "done") in kinds
    assert ("validation", "skip") in kinds  # disabled: no external cohort
    steps = [e for e in result.events if e.stage == "extract" and e.kind == "step"]
    assert steps and steps[-1].done == steps[-1].total == 30


def test_provenance_records_versions_settings_inputs_and_seeds(tiny_study) -> None:
    settings, out, _ = tiny_study
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["settings_hash"] == settings.settings_hash() and prov["seed"] == settings.seed
    assert {"numpy", "scikit-learn", "torch"} <= set(prov["libraries"])
    assert set(prov["stages"]) == set(STAGES)
    assert len(prov["inputs"]) == 30 and all(len(v["ct"]) == 64 for v in prov["inputs"].values())


def test_second_run_skips_unchanged_stages(tiny_study, tmp_path: Path) -> None:
    settings, out, _ = tiny_study
    again = run_study(settings, out)
    assert again.status["data"] == again.status["stats"] == again.status["models"] == "skipped"
    assert again.status["cluster"] == ("skipped" if settings.cluster.enabled else "disabled")
    cohort = json.loads((out / "cohort" / "provenance.json").read_text())
    assert cohort["counts"]["computed"] == 0 and cohort["counts"]["cache_hits"] > 0


def test_changed_settings_rerun_only_the_stages_they_affect(tiny_study, tmp_path: Path) -> None:
    _, out, _ = tiny_study
    changed = tiny_settings(stats={**TINY["stats"], "fdr": 0.1})
    res = run_study(changed, out)
    assert res.status["stats"] == "ran"
    assert res.status["models"] == res.status["data"] == "skipped"
    assert res.status["cluster"] in ("skipped", "disabled")
    run_study(tiny_settings(), out)  # back to the fixture's settings for the other tests


def test_a_failing_stage_is_named_and_finished_stages_are_kept(tiny_study, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _, out, _ = tiny_study
    import radiogenomics.models.stage as models

    def boom(*args, **kwargs):
        raise ValueError("model exploded")

    monkeypatch.setattr(models, "run_models", boom)
    changed = tiny_settings(models={**TINY["models"], "k": 7})
    with pytest.raises(StageError, match=r"stage 'models' failed \(ValueError: model exploded\)") as info:
        run_study(changed, out)
    assert info.value.stage == "models"
    assert (out / "features.parquet").is_file() and (out / "stats" / "TP53" / "compare_groups.parquet").is_file()
    record = json.loads((out / "stages" / "models.json").read_text())
    assert record["settings"]["models"]["k"] == TINY["models"]["k"]  # the finished record was not overwritten


def test_killed_run_resumes_without_recomputing_finished_work(tiny_study, tmp_path: Path) -> None:
    """Kill ``radiogenomics run`` during the extraction, run again: the cases finished before are not computed
    again, and a third run recomputes no stage at all."""
    _settings, out, _ = tiny_study
    data = json.loads(json.dumps(TINY))
    data["data"] = {"manifest": str(out / "data" / "manifest.csv")}
    data["models"] = {"enabled": False}
    data["cluster"] = {"enabled": False}
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump(data))
    target = tmp_path / "run"
    cmd = [sys.executable, "-m", "radiogenomics", "run", str(study), "-o", str(target)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    cache = target / "cohort" / "cache"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if cache.is_dir() and len(list(cache.rglob("*.json"))) >= 8:  # 2 of 30 cases (4 results each) done
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (target / "report.html").exists()

    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    counts = json.loads((target / "cohort" / "provenance.json").read_text())["counts"]
    assert counts["cache_hits"] > 0 and counts["computed"] < 4 * 30
    assert (target / "report.html").is_file()

    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0
    prov = json.loads((target / "provenance.json").read_text())
    assert prov["stages"]["stats"]["status"] == "skipped"
    counts = json.loads((target / "cohort" / "provenance.json").read_text())["counts"]
    assert counts["computed"] == 0


def test_cli_run_reports_a_bad_study_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from radiogenomics.cli import app

    study = tmp_path / "study.yaml"
    study.write_text("data: {synthetic: {n: 30}}\ntargets: [TP53]\nmodels: {modles: [lasso]}\n")
    res = CliRunner().invoke(app, ["run", str(study), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "Did you mean 'models'" in res.output
    assert not (tmp_path / "out").exists()
