"""Typed exceptions of the segmentation stage (all subclass :class:`~radiogenomics.errors.RadiogenomicsError`)."""

from __future__ import annotations

from radiogenomics.errors import RadiogenomicsError

__all__ = ["MissingDependencyError", "ModelDirError", "SegmentationError"]


class SegmentationError(RadiogenomicsError, ValueError):
    """Segmentation inputs cannot be used (no training case, shapes that differ, an empty cohort, ...)."""


class ModelDirError(RadiogenomicsError, OSError):
    """A model folder is missing, incomplete, or was written by another method or an incompatible version."""


class MissingDependencyError(RadiogenomicsError, ImportError):
    """An optional package needed for this step is not installed; the message names it and how to get it."""

    def __init__(self, package: str, purpose: str, hint: str = ""):
        self.package, self.purpose, self.hint = package, purpose, hint
        message = f"the package {package!r} is needed for {purpose} but is not installed"
        super().__init__(message + (f"; {hint}" if hint else ""))

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:  # picklable across processes
        return type(self), (self.package, self.purpose, self.hint)
