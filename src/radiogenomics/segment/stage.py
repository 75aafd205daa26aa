"""The segmentation stage's entry point, :func:`run` (the ``segment train`` command): settings → a trained model.

The stage's settings are the method's (:class:`~radiogenomics.segment.settings.AttentionUNetSettings` or
:class:`~radiogenomics.segment.settings.NnUNetSettings`, which name their method); :func:`run` trains on the
labelled cases of a manifest (:func:`~radiogenomics.segment.registry.train_segmenter`) and writes the model
folder, ``failures.csv`` (cases left out) and ``provenance.json``. A trained model is then used by
:func:`~radiogenomics.segment.registry.predict_manifest` (``segment predict``) and by ``auto:<modeldir>`` masks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from radiogenomics.io.manifest import Manifest
from radiogenomics.provenance import checksum, provenance_record, write_json
from radiogenomics.segment.registry import Segmenter, train_segmenter
from radiogenomics.segment.settings import AttentionUNetSettings, NnUNetSettings

__all__ = ["run"]


def run(
    settings: AttentionUNetSettings | NnUNetSettings,
    manifest: str | Path | Manifest,
    outdir: str | Path,
    *,
    progress: Callable[[str, int, int, float, float], None] | None = None,
    resume: bool = False,
) -> Segmenter:
    """Train the method of ``settings`` on ``manifest``; the model folder is ``outdir``.

    ``progress(stage, epoch, epochs, train_loss, validation_dice)`` is called after every epoch; ``resume``
    (nnU-Net) continues an earlier run in ``outdir`` (:func:`~radiogenomics.segment.registry.train_segmenter`).
    """
    started, t0 = datetime.now(UTC), time.perf_counter()
    model = train_segmenter(manifest, settings.method, outdir, settings, progress, resume=resume)
    inputs = {} if isinstance(manifest, Manifest) else {"manifest": {"path": str(manifest),
                                                                      "sha256": checksum(manifest)}}
    write_json(Path(outdir) / "provenance.json", provenance_record(
        "segment", settings=settings, seed=settings.seed, started=started, seconds=time.perf_counter() - t0,
        inputs=inputs, method=settings.method.value, device=str(model.device_), resumed=bool(resume)))
    return model
