"""Device selection: ``auto`` takes CUDA when torch sees it and falls back to the CPU; ``cuda`` without CUDA
is a clear error. Runs on the CPU (``torch.cuda.is_available`` is patched to pretend a GPU exists)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from radiogenomics.segment import AttentionUNetSegmenter, AttentionUNetSettings, SegmentationError, resolve_device


def test_auto_falls_back_to_cpu_and_picks_cuda_when_present(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto").type == "cpu"
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(SegmentationError, match="cuda"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"
    assert resolve_device("cpu").type == "cpu"


def _tiny_data(n: int = 4):
    rng = np.random.default_rng(0)
    images, labels = [], []
    for _ in range(n):
        label = np.zeros((8, 16, 16), np.uint8)
        z, y, x = rng.integers(2, 6), rng.integers(4, 12), rng.integers(4, 12)
        label[z - 1 : z + 2, y - 2 : y + 2, x - 2 : x + 2] = 1
        image = (label * 3.0 + rng.normal(0, 0.3, label.shape)).astype(np.float32)[None]
        images.append(image)
        labels.append(label)
    return images, labels


def test_auto_trains_on_cpu_without_cuda_and_is_deterministic(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    settings = AttentionUNetSettings(channels=("pet",), features=(4, 8), strides=(2,), patch_size=(16, 16, 8),
                                     epochs=2, iterations_per_epoch=2, batch_size=2, device="auto")
    images, labels = _tiny_data()
    state = torch.random.get_rng_state()
    a = AttentionUNetSegmenter(settings).fit(images, labels)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's RNG is untouched
    assert a.device_.type == "cpu"
    b = AttentionUNetSegmenter(settings).fit(images, labels)
    for (ka, va), (kb, vb) in zip(a.network_.state_dict().items(), b.network_.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)
    c = AttentionUNetSegmenter(settings.replace(seed=1)).fit(images, labels)
    assert not all(torch.equal(va, vc) for va, vc in zip(a.network_.state_dict().values(),
                                                          c.network_.state_dict().values(), strict=True))
    # saved weights reload on the CPU with identical outputs
    a.save(tmp_path / "m")
    loaded = AttentionUNetSegmenter.load(tmp_path / "m", device="auto")
    assert loaded.device_.type == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(images[0]), a.predict_proba(images[0]))


def test_bad_inputs_raise_typed_errors(tmp_path) -> None:
    from radiogenomics.errors import NonFiniteVoxelError
    from radiogenomics.segment import ModelDirError, load_segmenter

    settings = AttentionUNetSettings(channels=("pet",), features=(4, 8), strides=(2,), patch_size=(16, 16, 8),
                                     epochs=1, iterations_per_epoch=1, batch_size=2, device="cpu")
    images, labels = _tiny_data(2)
    with pytest.raises(SegmentationError, match="as many labels"):
        AttentionUNetSegmenter(settings).fit(images, labels[:1])
    with pytest.raises(SegmentationError, match="no training case has a tumour voxel"):
        AttentionUNetSegmenter(settings).fit(images, [np.zeros_like(lab) for lab in labels])
    with pytest.raises(SegmentationError, match="not trained"):
        AttentionUNetSegmenter(settings).predict(images[0])
    bad = images[0].copy()
    bad[0, 1, 1, 1] = np.inf
    with pytest.raises(NonFiniteVoxelError):
        AttentionUNetSegmenter(settings).fit([bad, images[1]], labels)
    model = AttentionUNetSegmenter(settings).fit(images, labels)
    with pytest.raises(NonFiniteVoxelError, match="NaN or infinite"):
        model.predict(bad)
    with pytest.raises(ModelDirError, match=r"no model\.json"):
        load_segmenter(tmp_path)


def test_missing_nnunet_is_a_clear_error(monkeypatch, tmp_path) -> None:
    import sys

    from radiogenomics.segment import MissingDependencyError, NnUNetSegmenter, NnUNetSettings

    monkeypatch.setitem(sys.modules, "nnunetv2", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"nnunetv2.*pip install --no-deps nnunetv2"):
        NnUNetSegmenter(NnUNetSettings()).fit(None, tmp_path)
