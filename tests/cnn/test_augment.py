"""Augmentation against known answers: flips, the rotation of a linear ramp, the intensity formula, seeding."""

from __future__ import annotations

import math

import pytest

from radiogenomics.cnn.augment import augment_batch

torch = pytest.importorskip("torch")


def _batch(n: int = 3, c: int = 2, size: int = 12) -> torch.Tensor:
    return torch.randn(n, c, size, size, size, generator=torch.Generator().manual_seed(5))


def test_flips() -> None:
    x = _batch()
    out = augment_batch(x, torch.Generator().manual_seed(0), flip_prob=1.0, rotate_deg=0.0, intensity=0.0)
    torch.testing.assert_close(out, torch.flip(x, [2, 3, 4]), rtol=0, atol=0)
    same = augment_batch(x, torch.Generator().manual_seed(0), flip_prob=0.0, rotate_deg=0.0, intensity=0.0)
    torch.testing.assert_close(same, x, rtol=0, atol=0)
    assert same is not x


def test_intensity_formula() -> None:
    """x·(1 + α) + β per case and channel, α then β drawn from the generator as U(-a, a)."""
    x, a = _batch(), 0.2
    out = augment_batch(x, torch.Generator().manual_seed(3), flip_prob=0.0, rotate_deg=0.0, intensity=a)
    g = torch.Generator().manual_seed(3)
    alpha = (torch.rand((3, 2), generator=g) * 2 - 1) * a
    beta = (torch.rand((3, 2), generator=g) * 2 - 1) * a
    torch.testing.assert_close(out, x * (1 + alpha)[..., None, None, None] + beta[..., None, None, None])
    assert alpha.abs().max() <= a and beta.abs().max() <= a


def test_rotation_of_a_ramp() -> None:
    """An x-ramp f = x (normalised coordinates of the voxel centres) rotated in-plane by θ becomes
    cos θ · x − sin θ · y wherever the sampled point lies between voxel centres (linear interpolation is exact
    there); θ is the generator's first draw, U(-r, r)."""
    n, size, r = 4, 16, 30.0
    coords = (2 * torch.arange(size, dtype=torch.float64) + 1) / size - 1  # align_corners=False centres
    ramp = coords.view(1, 1, 1, 1, size).expand(n, 1, size, size, size).clone()
    out = augment_batch(ramp, torch.Generator().manual_seed(11), flip_prob=0.0, rotate_deg=r, intensity=0.0)
    theta = (torch.rand(n, generator=torch.Generator().manual_seed(11)) * 2 - 1) * math.radians(r)
    assert theta.abs().max() > math.radians(5)  # a real rotation
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    for i in range(n):
        c, s = math.cos(theta[i]), math.sin(theta[i])
        x_in, y_in = c * x - s * y, s * x + c * y
        inside = (x_in.abs() <= coords[-1]) & (y_in.abs() <= coords[-1])
        assert inside.float().mean() > 0.4
        for z in (0, size // 2, size - 1):  # z untouched
            torch.testing.assert_close(out[i, 0, z][inside], x_in[inside], rtol=0, atol=1e-5)


def test_same_seed_same_augmentation() -> None:
    x = _batch()
    a = augment_batch(x, torch.Generator().manual_seed(9))
    b = augment_batch(x, torch.Generator().manual_seed(9))
    c = augment_batch(x, torch.Generator().manual_seed(10))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, c)
