"""Typed errors of the CNN stage."""

from __future__ import annotations

from radiogenomics.errors import RadiogenomicsError

__all__ = ["CNNError", "SavedModelError", "VolumeCacheError"]


class CNNError(RadiogenomicsError):
    """Base class of every error raised by :mod:`radiogenomics.cnn`."""


class VolumeCacheError(CNNError, KeyError):
    """The volume cache is missing, or does not hold a requested case."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class SavedModelError(CNNError, OSError):
    """A saved CNN model folder is missing or incomplete."""
