"""Volcano figures: the 16-panel grid renders (size, non-blank panels), labels never overlap, PNG + SVG."""

from __future__ import annotations

import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Annotation, Text

from radiogenomics.plotting import DPI, save_figure
from radiogenomics.stats import (
    compare_groups,
    compare_groups_by,
    volcano,
    volcano_classes,
    volcano_grid,
)
from radiogenomics.stats.volcano import COLORS, PANEL_SIZE
from tests.stats.cohorts import make_planted_cohort


@pytest.fixture(scope="module")
def grid_results() -> pd.DataFrame:
    cohort = make_planted_cohort(1.2, seed=3, n_cases=240, n_per_source=120, n_planted=16)
    return compare_groups_by(cohort.df, list(cohort.features), cohort.group, by="cancer_type")


def _labels(fig: Figure) -> list[Annotation]:
    return [t for ax in fig.axes for t in ax.texts if isinstance(t, Annotation)]


def _assert_no_overlap(fig: Figure) -> None:
    fig.canvas.draw()  # annotations get their display positions when drawn (at the figure's dpi)
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        # the text's own box (Annotation.get_window_extent would include the leader line)
        boxes = [Text.get_window_extent(t, renderer) for t in ax.texts if isinstance(t, Annotation)]
        frame = ax.get_window_extent(renderer)
        for b in boxes:
            assert frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 and frame.y0 - 1 <= b.y0 and b.y1 <= frame.y1 + 1
        for b1, b2 in combinations(boxes, 2):
            assert not b1.overlaps(b2)


def test_16_panel_grid_renders(grid_results: pd.DataFrame, tmp_path: Path) -> None:
    fig = volcano_grid(grid_results, facets=["roi", "modality", "subset"])
    paths = save_figure(fig, tmp_path / "volcano_grid")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size > 0 for p in paths)
    assert paths[1].read_text().lstrip().startswith("<?xml")
    img = imread(paths[0])
    h, w = img.shape[:2]
    assert (w, h) == (round(4 * PANEL_SIZE[0] * DPI), round(4 * PANEL_SIZE[1] * DPI))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 16
    titles = [ax.get_title(loc="left") for ax in panels]
    assert titles[0] == "(a) tumour · CT · cervical" and titles[-1] == "(p) bat · PET · all"
    rgb = img[..., :3]
    for ax in panels:  # every panel's plotting area holds drawn (non-white) pixels, including colour
        x0, y0, x1, y1 = ax.get_position().extents
        crop = rgb[int((1 - y1) * h) + 2 : int((1 - y0) * h) - 2, int(x0 * w) + 2 : int(x1 * w) - 2]
        nonwhite = np.mean(np.any(crop < 0.9, axis=-1))
        assert nonwhite > 0.01, ax.get_title()
        assert crop.std() > 0.02
    _assert_no_overlap(fig)
    assert len(_labels(fig)) >= 16  # planted features labelled in the panels


def test_planted_features_are_labelled_and_red(tmp_path: Path) -> None:
    cohort = make_planted_cohort(1.5, seed=0)
    res = compare_groups(cohort.df, list(cohort.features), cohort.group)
    fig = volcano(res, n_labels=len(cohort.planted))
    labelled = {t.get_text() for t in _labels(fig)}
    assert labelled == set(cohort.planted)
    _assert_no_overlap(fig)
    path = save_figure(fig, tmp_path / "single.png", formats=("png",))[0]
    img = imread(path)
    assert img.shape[:2] == (750, 900)
    red = np.array([int(COLORS["up"][i : i + 2], 16) / 255 for i in (1, 3, 5)])
    assert np.any(np.all(np.abs(img[..., :3] - red) < 0.02, axis=-1))


def test_crowded_labels_do_not_overlap() -> None:
    rng = np.random.default_rng(0)
    n = 300
    res = pd.DataFrame({"feature": [f"wavelet-LLH_glcm_Feature{i}" for i in range(n)],
                        "log2fc": rng.normal(0.6, 0.05, n), "p": 10 ** -rng.uniform(5, 6, n)})
    res["p_fdr"] = res["p"]
    fig = volcano(res, n_labels=40)
    fig.canvas.draw()
    _assert_no_overlap(fig)
    assert 5 <= len(_labels(fig)) <= 40


def test_classes_and_thresholds() -> None:
    res = pd.DataFrame({"log2fc": [1.0, -1.0, 0.1, 1.0, np.nan], "p_fdr": [0.01, 0.01, 0.01, 0.2, 0.01]})
    assert list(volcano_classes(res, fc_threshold=0.5)) == ["up", "down", "ns", "ns", "ns"]


def test_edge_cases_render() -> None:
    res = pd.DataFrame({"feature": ["a", "b", "c"], "log2fc": [np.inf, -0.1, np.nan], "p": [0.0, 0.5, 0.1],
                        "p_fdr": [0.0, 0.5, 0.1]})
    fig = volcano(res)
    fig.canvas.draw()
    empty = volcano(res.iloc[2:])
    empty.canvas.draw()


def test_no_pyplot_state() -> None:
    code = ("import radiogenomics.stats as s, pandas as pd, sys;"
            "s.volcano(pd.DataFrame({'feature':['a'],'log2fc':[1.0],'p':[0.01],'p_fdr':[0.01]}));"
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
