"""Typed errors of the clustering stage."""

from __future__ import annotations

from radiogenomics.errors import RadiogenomicsError

__all__ = ["ClusterError"]


class ClusterError(RadiogenomicsError, ValueError):
    """The data cannot be clustered as asked (too few patients for the k range, non-finite values, ...)."""
