"""Typed exceptions raised by radiogenomics.

Every failure a user can cause with their input has its own exception type with a message that says what
was wrong and how to fix it. Library code never turns an error into a NaN feature value.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "EmptyMaskError",
    "GeometryMismatchError",
    "ImageReadError",
    "InvalidImageError",
    "InvalidMaskError",
    "LabelNotFoundError",
    "MissingDicomTagError",
    "NonFiniteVoxelError",
    "RadiogenomicsError",
    "SeriesSelectionError",
    "SettingsError",
    "SuvError",
    "TooFewDimensionsError",
    "TooSmallMaskError",
    "UnknownNameError",
    "closest",
    "suggest",
    "valid_names",
]


def _osa_distance(a: str, b: str) -> int:
    """Optimal-string-alignment edit distance (insertions, deletions, substitutions, transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _closeness(name: str, candidate: str) -> tuple[int, float]:
    """Edit distance ignoring case (transpositions count once), then ``difflib``'s similarity (negated)."""
    return _osa_distance(name.lower(), candidate.lower()), -difflib.SequenceMatcher(None, name, candidate).ratio()


def closest(name: str, valid: Iterable[str], n: int = 10) -> list[str]:
    """The ``n`` names of ``valid`` closest to ``name`` (closest first; ties in the order given)."""
    return sorted(valid, key=lambda candidate: _closeness(name, candidate))[:n]


def suggest(name: str, valid: Iterable[str]) -> str:
    """Return a ``" Did you mean 'x'?"`` hint for the closest valid name, or an empty string.

    Closeness is the edit distance ignoring case (transpositions count once), ties broken by
    ``difflib``'s similarity on the original spelling; nothing is suggested beyond half the length.
    """
    valid = list(valid)
    if not valid:
        return ""
    best = min(valid, key=lambda candidate: _closeness(name, candidate))
    if _closeness(name, best)[0] > max(2, len(name) // 2):
        return ""
    return f" Did you mean {best!r}?"


def valid_names(name: str, valid: Iterable[str], limit: int = 12) -> str:
    """``"Valid: a, b, c"``: every valid name (sorted) when there are at most ``limit``, else the 10 closest to
    ``name`` and the count (a table of thousands of columns is never printed whole)."""
    names = sorted(valid)
    if len(names) <= limit:
        return f"Valid: {', '.join(names)}"
    return f"Closest of {len(names)}: {', '.join(closest(name, names))}"


class RadiogenomicsError(Exception):
    """Base class of every error raised on purpose by this package."""


class SettingsError(RadiogenomicsError, ValueError):
    """A setting is unknown, has an invalid value, or settings contradict each other."""


class UnknownNameError(SettingsError, KeyError):
    """A name (setting, feature class, feature, image type, preset) is not known.

    The message names the closest valid name (from ``valid`` and the equally accepted spellings
    ``also``) and lists ``valid`` (:func:`valid_names`: at most 12, else the 10 closest).
    """

    def __init__(self, kind: str, name: str, valid: Iterable[str], also: Iterable[str] = ()):
        valid = sorted(valid)
        self.kind, self.name, self.valid = kind, name, valid
        hint = suggest(name, [*valid, *also])
        super().__init__(f"Unknown {kind} {name!r}.{hint} {valid_names(name, valid)}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ImageReadError(RadiogenomicsError, OSError):
    """A file could not be read as an image (missing, corrupt or unsupported)."""


class InvalidImageError(RadiogenomicsError, ValueError):
    """The image cannot be used (wrong dimensionality, non-numeric voxels, ...)."""


class InvalidMaskError(RadiogenomicsError, ValueError):
    """The mask cannot be used as a label map (non-integer values, wrong dimensionality, ...)."""


class GeometryMismatchError(RadiogenomicsError, ValueError):
    """Image and mask do not share a voxel grid within the geometry tolerance."""


class EmptyMaskError(InvalidMaskError):
    """The mask holds no segmented voxel at all."""


class LabelNotFoundError(InvalidMaskError):
    """The requested label value does not occur in the mask."""


class TooSmallMaskError(InvalidMaskError):
    """The region of interest has too few voxels (one voxel, or fewer than ``minimumROISize``)."""


class TooFewDimensionsError(InvalidMaskError):
    """The region of interest spans fewer dimensions than ``minimumROIDimensions`` (or the image is 2D
    without ``force2D``)."""


class NonFiniteVoxelError(InvalidImageError):
    """The image holds NaN or infinite values inside the region of interest."""


class SeriesSelectionError(ImageReadError):
    """A DICOM folder holds no series, several series and none was chosen, or not the chosen one.

    ``series`` lists the series found (:class:`radiogenomics.io.dicom.DicomSeries`).
    """

    def __init__(self, message: str, series: Iterable[object] = ()):
        self.series = list(series)
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, list[object]]]:  # picklable across processes
        return type(self), (str(self.args[0]), self.series)


class MissingDicomTagError(RadiogenomicsError, ValueError):
    """DICOM attributes needed for a computation (e.g. SUV) are absent or empty.

    ``tags`` names every missing attribute (keyword and tag number), all at once.
    """

    def __init__(self, tags: Iterable[str], purpose: str, hint: str = ""):
        self.tags, self.purpose, self.hint = list(tags), purpose, hint
        message = f"missing DICOM tag(s) needed for {purpose}: {', '.join(self.tags)}"
        super().__init__(message + (f". {hint}" if hint else ""))

    def __reduce__(self) -> tuple[type, tuple[list[str], str, str]]:  # picklable across processes
        return type(self), (self.tags, self.purpose, self.hint)


class SuvError(InvalidImageError):
    """PET voxels cannot be converted to SUV (unsupported Units or decay correction, invalid tag values)."""
