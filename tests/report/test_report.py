"""The HTML report: self-contained, every section present, opened in a real headless browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # a whole study

SECTIONS = ("cohort", "data", "extraction", "statistics", "models", "cnn", "clustering", "failures", "provenance")


def _html(tiny_study) -> str:
    return (tiny_study[1] / "report.html").read_text(encoding="utf-8")


def test_report_is_self_contained(tiny_study) -> None:
    html = _html(tiny_study)
    sources = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(sources) >= 8
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'(src|href)="(https?:)?//', html), "the report must not load anything from the network"
    assert "<script" not in html


def test_report_has_every_section_with_content(tiny_study) -> None:
    settings, _out, _ = tiny_study
    html = _html(tiny_study)
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert "Table 1 (TP53 analysis)" in html
    assert "ROC AUC" in html and "roc_auc" in html
    if settings.cluster.enabled:
        assert "chosen number of clusters k = <b>" in html
    assert "No case failed." in html
    assert settings.settings_hash() in html
    cnn = html[html.index('<section id="cnn">'):html.index('<section id="clustering">')]
    assert "resnet10" in cnn and "lasso" in cnn and "DeLong" in cnn  # the CNN beside a radiomics model


def test_report_shows_no_case_ids_unless_asked(tiny_study) -> None:
    _, out, _ = tiny_study
    html = _html(tiny_study)
    manifest = (out / "data" / "manifest.csv").read_text().splitlines()[1:]
    ids = [line.split(",")[0] for line in manifest]
    assert ids and not any(i in html for i in ids)
    data = html[html.index('<section id="data">'):html.index('<section id="extraction">')]
    assert data.count("<img") == 1 and 'class="bad"' not in data  # the overlays were drawn, none failed


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


_PROBE = """
<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  var t = e.target || {};
  window.__errors.push(t.tagName ? ('resource ' + t.tagName + ' failed') : ('script error: ' + e.message));
}, true);
var _ce = console.error;
console.error = function () { window.__errors.push('console.error: ' + Array.from(arguments).join(' ')); };
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0 && i.naturalHeight > 0); });
  var sections = Array.from(document.querySelectorAll('section')).map(function (s) {
    return [s.id, s.getBoundingClientRect().height]; });
  var out = document.createElement('pre');
  out.id = 'probe-result';
  out.textContent = JSON.stringify({images: imgs.length, broken: broken.length, errors: window.__errors,
                                    sections: sections});
  document.body.appendChild(out);
});
</script>
"""


def test_report_in_headless_chromium(tiny_study, tmp_path: Path) -> None:
    """Every image decodes, no error is raised, every section has height; a screenshot is saved."""
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium/Chrome found (Debian: apt-get install chromium)")
    _, out, _ = tiny_study
    html = _html(tiny_study)
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]
    res = subprocess.run([browser, *flags, "--virtual-time-budget=15000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=180)
    match = re.search(r'<pre id="probe-result">(.*?)</pre>', res.stdout, re.S)
    assert match, f"the page did not finish loading: {res.stderr[-1000:]}"
    info = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert info["images"] >= 8 and info["broken"] == 0, info
    assert info["errors"] == [], info["errors"]
    heights = dict(info["sections"])
    assert set(SECTIONS) <= set(heights) and all(heights[s] > 50 for s in SECTIONS), heights

    shot = out / "report_screenshot.png"
    res = subprocess.run([browser, *flags, "--window-size=1280,3000", f"--screenshot={shot}",
                          (out / "report.html").as_uri()], capture_output=True, text=True, timeout=180)
    assert shot.is_file(), res.stderr[-1000:]
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] == 3000 and pixels.shape[1] == 1280
    assert float(np.std(pixels[..., :3])) > 0.05  # not a blank page


def test_every_metric_has_its_n_and_only_a_reliable_model_is_best(tiny_study) -> None:
    """The models section: the protocol and why, n and positives in every row, the best model named only among
    results marked reliable in metrics.json (and with its n)."""
    _, out, _ = tiny_study
    html = _html(tiny_study)
    models = html[html.index('<section id="models">'):html.index('<section id="cnn">')]
    assert "Protocol: kfold" in models  # 30 patients: no hold-out
    records = json.loads((out / "models" / "TP53" / "metrics.json").read_text())
    header, *rows = re.findall(r"<tr>(.*?)</tr>", models[models.index("<table"):models.index("</table>")], re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S) for r in (header, *rows)]
    col = cells[0].index("cv n (positives)")
    n_pos = {(r["model"], r["source"]): f"{r['n']} ({r['n_pos']})" for r in records if r["split"] == "cv"}
    assert rows and all(c[col] == n_pos[(c[0], c[1])] for c in cells[1:])
    best = re.search(r"Best cross-validated model among the reliable results: <b>(\w+)</b> on <b>([\w+]+)</b>.*?"
                     r"\(n = (\d+), (\d+) positive\)", models)
    auc = [r for r in records if r["split"] == "cv" and r["metric"] == "roc_auc"]
    if best is None:
        assert not any(r["reliable"] for r in auc) and "No model is named best" in models
    else:
        rec = next(r for r in auc if (r["model"], r["source"]) == best.group(1, 2))
        assert rec["reliable"] and (int(best.group(3)), int(best.group(4))) == (rec["n"], rec["n_pos"])
        assert rec["value"] == max(r["value"] for r in auc if r["reliable"])


def test_cohort_section_shows_the_suv_quantification(tiny_study) -> None:
    import pandas as pd

    _, out, _ = tiny_study
    html = _html(tiny_study)
    cohort = html[html.index('<section id="cohort">'):html.index('<section id="data">')]
    assert "PET quantification" in cohort and "SUVpeak" in cohort and "MTV (ml)" in cohort
    features = pd.read_parquet(out / "features.parquet")
    values = features["tumour_pet__suv_SUVmax"].dropna()
    row = re.search(r"<td>tumour / pet</td><td>(\d+)</td><td>([^<]+)</td>", cohort)
    assert row is not None and int(row.group(1)) == len(values)
    assert row.group(2) == f"{values.median():.2f} [{values.quantile(0.25):.2f}, {values.quantile(0.75):.2f}]"


def test_a_missing_table1_says_why(tmp_path) -> None:
    """A statistics stage that ran but wrote no Table 1 gives its reason, not 'stage disabled'."""
    import pandas as pd

    from radiogenomics.report.html import _cohort
    from radiogenomics.report.stage import ReportSettings

    (tmp_path / "stats" / "ER").mkdir(parents=True)
    (tmp_path / "stats" / "ER" / "warnings.json").write_text(json.dumps(["Table 1 not written: 'age' is empty"]))
    (tmp_path / "stats" / "PR").mkdir(parents=True)
    features = pd.DataFrame({"case_id": ["a", "b"], "ER": [0, 1], "PR": [1, 0], "HER2": [0, 0]})
    sec = _cohort(tmp_path, ReportSettings.validate_dict({"targets": ["ER", "PR", "HER2"]}), features)
    assert sec["table1"] == []
    assert sec["table1_missing"] == [
        {"target": "ER", "reason": "Table 1 not written: 'age' is empty"},
        {"target": "PR", "reason": "no clinical variable to tabulate (the table has only features and the target)"}]
