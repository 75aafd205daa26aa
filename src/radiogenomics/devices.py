"""Where networks run: the :class:`Device` setting and :func:`resolve_device` (CUDA when asked and available).

Every GPU code path has a CPU fallback: ``auto`` picks CUDA when ``torch.cuda.is_available()`` and the CPU
otherwise; ``cuda`` on a machine without CUDA is an error, never a silent fallback.
"""

from __future__ import annotations

from typing import Any

from radiogenomics.choices import Choice
from radiogenomics.errors import RadiogenomicsError

__all__ = ["Device", "resolve_device"]


class Device(Choice, kind="device"):
    """Where a network runs: ``auto`` (CUDA when available, else the CPU), ``cpu`` or ``cuda``."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


def resolve_device(device: Device | str, error: type[Exception] = RadiogenomicsError) -> Any:
    """The ``torch.device`` of a :class:`Device` setting.

    Raises
    ------
    error
        ``cuda`` is asked for but ``torch.cuda.is_available()`` is False (the caller's error type).
    UnknownNameError
        ``device`` is not a :class:`Device` (the closest name is suggested).
    """
    import torch  # heavy optional: loaded only where a network runs

    kind = Device.parse(device)
    if kind is Device.auto:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if kind is Device.cuda and not torch.cuda.is_available():
        raise error("device 'cuda' was asked for but CUDA is not available (torch.cuda.is_available() is False); "
                    "use device 'auto' or 'cpu'")
    return torch.device(kind.value)
