r"""Training-time augmentation of a batch ``(n, C, z, y, x)`` drawn from an explicit torch generator.

Per case, independently:

* flip along each spatial axis with probability ``flip_prob``;
* rotate in-plane (about the z axis, through the volume centre) by :math:`\theta \sim U(-r, r)` degrees,
  trilinear resampling with border values (``torch.nn.functional.grid_sample``);
* per channel, :math:`x \leftarrow x\,(1 + \alpha) + \beta` with :math:`\alpha, \beta \sim U(-a, a)`.

All random numbers come from ``generator`` (CPU), so a seeded generator gives the same augmentations on
every run and device.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["augment_batch"]


def augment_batch(x: torch.Tensor, generator: torch.Generator, flip_prob: float = 0.5, rotate_deg: float = 10.0,
                  intensity: float = 0.1) -> torch.Tensor:
    """Augmented copy of a batch (module docstring); ``x`` itself is not changed.

    Parameters
    ----------
    x : float tensor ``(n, C, z, y, x)`` on any device.
    generator : CPU ``torch.Generator`` that every random number is drawn from.
    flip_prob : probability of flipping each spatial axis (0 disables flips).
    rotate_deg : rotation bound :math:`r` in degrees (0 disables rotation).
    intensity : bound :math:`a` of the per-channel scale and shift (0 disables them).

    Returns
    -------
    Tensor of the shape, dtype and device of ``x``.
    """
    import torch
    import torch.nn.functional as F

    n, c = x.shape[:2]
    out = x.clone()
    if flip_prob > 0:
        flips = torch.rand((n, 3), generator=generator) < flip_prob
        for i in range(n):
            dims = [d + 1 for d in range(3) if flips[i, d]]
            if dims:
                out[i] = torch.flip(out[i], dims)
    if rotate_deg > 0:
        theta = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(rotate_deg)
        cos, sin = torch.cos(theta), torch.sin(theta)
        affine = torch.zeros((n, 3, 4), dtype=x.dtype)
        # grid coordinates are (x, y, z) normalised to [-1, 1]: rotate x, y; keep z
        affine[:, 0, 0], affine[:, 0, 1] = cos, -sin
        affine[:, 1, 0], affine[:, 1, 1] = sin, cos
        affine[:, 2, 2] = 1.0
        grid = F.affine_grid(affine.to(x.device), list(out.shape), align_corners=False)
        out = F.grid_sample(out, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if intensity > 0:
        scale = 1 + (torch.rand((n, c), generator=generator) * 2 - 1) * intensity
        shift = (torch.rand((n, c), generator=generator) * 2 - 1) * intensity
        scale = scale.to(device=x.device, dtype=x.dtype).view(n, c, 1, 1, 1)
        shift = shift.to(device=x.device, dtype=x.dtype).view(n, c, 1, 1, 1)
        out = out * scale + shift
    return out
