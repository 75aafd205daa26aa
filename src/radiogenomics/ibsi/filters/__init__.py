"""IBSI-2 convolutional filters (mean, LoG, Laws, Gabor, separable wavelets, Simoncelli, Riesz).

Each filter lives in its own module with a frozen settings model and an ``apply(image, settings)``
function returning the response map on the image grid; :mod:`~radiogenomics.ibsi.filters.registry` maps
IBSI-2 names to them and :func:`phase1_table` checks the IBSI-2 phase-1 consensus response maps.
Boundary conditions: :mod:`~radiogenomics.ibsi.filters.boundary`.
"""

from radiogenomics.ibsi.filters.base import FilterSettings
from radiogenomics.ibsi.filters.boundary import BoundaryCondition, boundary_condition
from radiogenomics.ibsi.filters.gabor import GaborSettings
from radiogenomics.ibsi.filters.laws import LawsSettings
from radiogenomics.ibsi.filters.log import LogSettings
from radiogenomics.ibsi.filters.mean import MeanSettings
from radiogenomics.ibsi.filters.phase1 import PHASE1_COLUMNS, PHASE1_CONFIGS, phase1_row, phase1_table
from radiogenomics.ibsi.filters.registry import FILTERS, IbsiFilter, apply_filter, filter_settings, get_filter
from radiogenomics.ibsi.filters.riesz import RieszSettings
from radiogenomics.ibsi.filters.simoncelli import SimoncelliSettings
from radiogenomics.ibsi.filters.wavelet import WaveletSettings

__all__ = [
    "FILTERS",
    "PHASE1_COLUMNS",
    "PHASE1_CONFIGS",
    "BoundaryCondition",
    "FilterSettings",
    "GaborSettings",
    "IbsiFilter",
    "LawsSettings",
    "LogSettings",
    "MeanSettings",
    "RieszSettings",
    "SimoncelliSettings",
    "WaveletSettings",
    "apply_filter",
    "boundary_condition",
    "filter_settings",
    "get_filter",
    "phase1_row",
    "phase1_table",
]
