"""Speed of each feature family and of the LoG and wavelet filters against PyRadiomics 3.0.1, same run.

For each PyRadiomics test case (default lung1, lung2), cropped to its ROI's bounding box as PyRadiomics'
extractor crops before computing features:

- **families** (shape, firstorder, glcm, glrlm, glszm, gldm, ngtdm; default settings, binWidth 25):
  ours = building :class:`~radiogenomics.features.base.RoiData` from the cropped arrays (discretisation
  included) + the family's ``compute``; PyRadiomics = constructing ``Radiomics<Family>`` on the cropped
  image and mask + ``execute()``.
- **filters**: LoG with σ = 1 and 3 mm, and the 8 wavelet sub-bands (coif1), as the ``paper`` preset asks;
  ours = ``FILTERS[...].apply`` on the full image (it filters the ROI box plus the context it needs);
  PyRadiomics = consuming ``imageoperations.getLoGImage`` / ``getWaveletImage`` on the full image (what
  its extractor does without ``preCrop``).

Each side warms up once (numba kernels, C extensions), then the minimum over ``--repeats`` runs is
reported; ratio = PyRadiomics / ours. PyRadiomics runs in its oracle venv in a subprocess
(``RADIOGENOMICS_ORACLE_VENV``, default ``.venv-oracle``; set it up with
``bash ../shared/tools/pyradiomics-oracle/setup.sh .venv-oracle``); without it the reference columns are
skipped with a message. Results: printed, and ``benchmarks/results/bench_kernels-<host>-<time>.json``.

    python benchmarks/bench_kernels.py [--cases lung1,lung2] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from machine import machine

REPO = Path(__file__).resolve().parents[1]
FAMILY_NAMES = ("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")
FILTER_NAMES = ("LoG", "Wavelet")

ORACLE_CHILD = r"""
import json, sys, time
import SimpleITK as sitk
import radiomics
from radiomics import firstorder, glcm, gldm, glrlm, glszm, imageoperations, ngtdm, shape
radiomics.setVerbosity(60)
folder, case, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
image = sitk.ReadImage(f"{folder}/{case}_image.nrrd")
mask = sitk.ReadImage(f"{folder}/{case}_label.nrrd")
bb, _ = imageoperations.checkMask(image, mask, label=1)
cimage, cmask = imageoperations.cropToTumorMask(image, mask, bb)
classes = {"shape": shape.RadiomicsShape, "firstorder": firstorder.RadiomicsFirstOrder,
           "glcm": glcm.RadiomicsGLCM, "glrlm": glrlm.RadiomicsGLRLM, "glszm": glszm.RadiomicsGLSZM,
           "gldm": gldm.RadiomicsGLDM, "ngtdm": ngtdm.RadiomicsNGTDM}
filters = {"LoG": lambda: list(imageoperations.getLoGImage(image, mask, sigma=[1.0, 3.0])),
           "Wavelet": lambda: list(imageoperations.getWaveletImage(image, mask))}
def best(fn):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
out = {name: best(lambda c=cls: c(cimage, cmask).execute()) for name, cls in classes.items()}
out.update({name: best(fn) for name, fn in filters.items()})
print(json.dumps(out))
"""


def _data_folder() -> Path:
    root = Path(os.environ.get("RADIOGENOMICS_TEST_DATA", REPO.parent / "shared" / "data"))
    return root / "pyradiomics"


def ours(folder: Path, case: str, repeats: int) -> dict[str, float]:
    """Minimum seconds per family / filter of this package (module docstring)."""
    import numpy as np
    import SimpleITK as sitk

    from radiogenomics.catalogue import FEATURES
    from radiogenomics.features.base import RoiData
    from radiogenomics.features.extractor import _as_image, _as_mask, prepare
    from radiogenomics.features.registry import FAMILIES
    from radiogenomics.filters.registry import FILTERS
    from radiogenomics.settings import ExtractionSettings

    img = sitk.ReadImage(str(folder / f"{case}_image.nrrd"))
    lab = sitk.ReadImage(str(folder / f"{case}_label.nrrd"))
    arr, roi_mask = sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(lab) == 1
    box = tuple(slice(int(i.min()), int(i.max()) + 1) for i in np.nonzero(roi_mask))
    image_c, mask_c, spacing = arr[box], roi_mask[box], img.GetSpacing()
    settings = ExtractionSettings()

    def best(fn) -> float:
        fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    out = {}
    for name in FAMILY_NAMES:
        def run(name: str = name) -> None:
            roi = RoiData(image=image_c, mask=mask_c, spacing=spacing, settings=settings)
            FAMILIES[name](roi, FEATURES[name])
        out[name] = best(run)
    paper = ExtractionSettings(sigma=(1.0, 3.0))
    image, roi, _, bbox = prepare(_as_image(folder / f"{case}_image.nrrd"), _as_mask(folder / f"{case}_label.nrrd", 0),
                                  paper)
    for name in FILTER_NAMES:
        out[name] = best(lambda name=name: list(FILTERS[name].apply(image, roi, bbox, paper)))
    return out


def oracle(folder: Path, case: str, repeats: int) -> dict[str, float] | None:
    venv = Path(os.environ.get("RADIOGENOMICS_ORACLE_VENV", REPO / ".venv-oracle"))
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    res = subprocess.run([str(python), "-c", ORACLE_CHILD, str(folder), case, str(repeats)], capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="lung1,lung2")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder = _data_folder()
    if not folder.is_dir():
        sys.exit(f"PyRadiomics test cases not found in {folder} (set RADIOGENOMICS_TEST_DATA)")
    rows = []
    have_oracle = True
    for case in args.cases.split(","):
        mine = ours(folder, case, args.repeats)
        ref = oracle(folder, case, args.repeats)
        if ref is None and have_oracle:
            print("oracle venv not found: PyRadiomics columns skipped (see the module docstring)")
            have_oracle = False
        for name in (*FAMILY_NAMES, *FILTER_NAMES):
            row = {"case": case, "kernel": name, "ours_s": mine[name],
                   "pyradiomics_s": ref[name] if ref else None,
                   "ratio": ref[name] / mine[name] if ref else None}
            rows.append(row)
            ratio = f"{row['ratio']:.1f}x" if ref else "-"
            theirs = f"{row['pyradiomics_s'] * 1e3:9.1f} ms" if ref else "        -"
            print(f"{case:6s} {name:10s} ours {mine[name] * 1e3:8.2f} ms   PyRadiomics {theirs}   {ratio}")
    from radiogenomics import __version__

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    info = machine(radiogenomics=__version__)
    out = REPO / "benchmarks" / "results" / f"bench_kernels-{info['host']}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": info, "repeats": args.repeats, "rows": rows}, indent=1))
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
