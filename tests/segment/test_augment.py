"""Attention U-Net patches, augmentation and test-time mirroring against their closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from radiogenomics.segment.attention_unet import AttentionUNetSegmenter, _sample_patch
from radiogenomics.segment.settings import AttentionUNetSettings


def _volume(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(2, 9, 12, 14)).astype(np.float32)
    label = (rng.random((9, 12, 14)) < 0.3).astype(np.uint8)
    return image, label


def test_identity_patch_is_a_plain_crop_with_fill_outside() -> None:
    image, label = _volume()
    fill = np.array([-5.0, 7.0])
    # an odd patch centred on a voxel: the plain crop around it
    x, y = _sample_patch(image, label, np.array([4.0, 5.0, 6.0]), (5, 7, 9), np.eye(3), fill)
    np.testing.assert_array_equal(x, image[:, 2:7, 2:9, 2:11])
    np.testing.assert_array_equal(y, label[2:7, 2:9, 2:11])
    # beyond the volume: each channel's fill value, label 0
    x, y = _sample_patch(image, label, np.array([0.0, 0.0, 0.0]), (5, 5, 5), np.eye(3), fill)
    assert (x[0, :2] == -5.0).all() and (x[1, :, :2] == 7.0).all() and (y[:2] == 0).all()
    np.testing.assert_array_equal(x[:, 2:, 2:, 2:], image[:, :3, :3, :3])


def test_a_quarter_turn_equals_rot90_in_the_slice_plane() -> None:
    image, label = _volume(1)
    image = image[:, :, :11, :11]
    label = label[:, :11, :11]
    matrix = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # 90 degrees in (y, x)
    x, y = _sample_patch(image, label, np.array([4.0, 5.0, 5.0]), (9, 11, 11), matrix, np.zeros(2))
    # output (o_y, o_x) reads input (c_y - (o_x - 5), c_x + (o_y - 5)): np.rot90 of the slice, axes (y, x)
    expected = np.rot90(image, k=1, axes=(3, 2))
    np.testing.assert_allclose(x, expected, atol=1e-5)
    np.testing.assert_array_equal(y, np.rot90(label, k=1, axes=(2, 1)))


def _tiny_model(**changes) -> AttentionUNetSegmenter:
    settings = AttentionUNetSettings(channels=("pet",), features=(4, 8), strides=(2,), patch_size=(8, 8, 8),
                                     epochs=1, iterations_per_epoch=1, batch_size=1, device="cpu",
                                     validation_fraction=0.0, **changes)
    rng = np.random.default_rng(0)
    images = [rng.normal(size=(1, 8, 8, 8)).astype(np.float32) for _ in range(2)]
    labels = [(img[0] > 0.5).astype(np.uint8) for img in images]
    return AttentionUNetSegmenter(settings).fit(images, labels)


def test_augmented_batches_keep_image_and_label_aligned() -> None:
    model = _tiny_model(rotation_degrees=30.0, scaling=0.2, intensity=0.0)
    img = np.zeros((1, 16, 16, 16), np.float32)
    lab = np.zeros((16, 16, 16), np.uint8)
    img[0, 4:12, 4:12, 4:12] = 1.0
    lab[4:12, 4:12, 4:12] = 1
    rng = np.random.default_rng(3)
    for _ in range(5):
        x, y = model._batch([img], [lab], [np.zeros(1)], [np.argwhere(lab > 0)], [0], rng)
        # the image is a box of ones: after rotation, scaling and flips the label marks where it is >= 0.5
        inside = x[0, 0] >= 0.5
        assert (inside == (y[0, 0] > 0)).mean() > 0.97


def test_test_time_mirroring_is_the_mean_of_the_flipped_predictions() -> None:
    model = _tiny_model()
    image = np.random.default_rng(5).normal(size=(1, 8, 8, 8)).astype(np.float32)
    plain = model.predict_proba(image, tta=False)
    flipped = []
    for bits in range(8):
        axes = tuple(a for a in range(3) if bits >> a & 1)
        out = model.predict_proba(np.flip(image, tuple(a + 1 for a in axes)).copy(), tta=False)
        flipped.append(np.flip(out, axes) if axes else out)
    np.testing.assert_allclose(model.predict_proba(image), np.mean(flipped, axis=0), atol=1e-6)
    assert not np.allclose(plain, np.mean(flipped, axis=0), atol=1e-4)
    np.testing.assert_array_equal(_tiny_model(tta=False).predict_proba(image), plain)


def test_settings_reject_bad_augmentation_and_name_the_postprocessing() -> None:
    from radiogenomics.errors import SettingsError, UnknownNameError

    with pytest.raises(SettingsError, match="rotation_degrees"):
        AttentionUNetSettings.validate_dict({"rotation_degrees": 400})
    with pytest.raises(SettingsError, match="spacing"):
        AttentionUNetSettings.validate_dict({"spacing": [3, 0, 3]})
    with pytest.raises(UnknownNameError, match="largest"):
        AttentionUNetSettings.validate_dict({"postprocessing": "largst"})
    assert AttentionUNetSettings().postprocessing.value == "auto"


def test_a_model_saved_before_working_grids_predicts_as_it_was_trained(tmp_path) -> None:
    import json

    model = _tiny_model()
    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    for key in ("spacing", "mirror", "rotation_degrees", "scaling", "intensity", "tta", "postprocessing"):
        del meta["settings"][key]
    del meta["postprocessing"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    old = AttentionUNetSegmenter.load(tmp_path / "m")
    assert old.settings.spacing is None and not old.settings.tta and old.postprocessing_.name == "none"
    image = np.random.default_rng(2).normal(size=(1, 8, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(old.predict_proba(image), model.predict_proba(image, tta=False))
    assert AttentionUNetSegmenter.load(tmp_path / "m").settings.spacing is None
    assert model.settings.spacing == (3.0, 3.0, 3.0)
