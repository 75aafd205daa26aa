"""Feature sources: groups of columns by their ``<roi>_<modality>__`` prefix.

A cohort table column ``tumour_pet__original_glcm_Contrast`` belongs to source ``tumour_pet``
(:func:`radiogenomics.table.parse_feature_column`: the prefix is ``<roi>_<modality>`` with a valid modality,
so foreign names that merely contain ``__``, such as ``sum_variance__tissue_T1``, are not split). Other
columns form one source named ``all``; clinical
columns (given by name) form the source ``clinical``. ``fused`` means every imaging column (early fusion);
``stacked`` the clinical columns plus an imaging score (:mod:`radiogenomics.models.stacked`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from radiogenomics.errors import suggest
from radiogenomics.models.errors import UnknownModelError
from radiogenomics.table import parse_feature_column

__all__ = ["CLINICAL", "FUSED", "STACKED", "STACK_REFERENCE", "combined", "find_sources", "reference",
           "source_columns"]

CLINICAL = "clinical"
FUSED = "fused"
STACKED = "stacked"
#: The stacked model's second level on the clinical variables alone: the reference of ``stacked``'s added value.
STACK_REFERENCE = "clinical_stack"
ID_COLUMNS = ("case_id", "patient_id")


def find_sources(
    df: pd.DataFrame, target: str | Sequence[str], clinical: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Map source name → its feature columns (in table order).

    Parameters
    ----------
    df : cohort table.
    target : target column(s) — excluded, as are ``case_id``/``patient_id``.
    clinical : clinical column names; when non-empty a ``clinical`` source is added.
    """
    targets = {target} if isinstance(target, str) else set(target)
    clin = list(clinical)
    missing = [c for c in clin if c not in df.columns]
    if missing:
        raise UnknownModelError(f"clinical columns not in the table: {missing}")
    skip = targets | set(clin) | set(ID_COLUMNS)
    out: dict[str, list[str]] = {}
    for col in df.columns:
        if col in skip:
            continue
        parsed = parse_feature_column(str(col))
        name = parsed.source if parsed is not None else "all"
        out.setdefault(name, []).append(col)
    if clin:
        out[CLINICAL] = clin
    return out


def source_columns(sources: dict[str, list[str]], name: str) -> list[str]:
    """Columns of source ``name``; ``fused`` = all non-clinical columns, ``fused+clinical`` = all."""
    if name in sources:
        return list(sources[name])
    imaging = [c for k, cols in sources.items() if k != CLINICAL for c in cols]
    if name == FUSED:
        return imaging
    if name in (FUSED + "+" + CLINICAL, STACKED):
        return imaging + list(sources.get(CLINICAL, []))
    if name == STACK_REFERENCE:
        return list(sources.get(CLINICAL, []))
    valid = [*sources, FUSED, FUSED + "+" + CLINICAL, STACKED, STACK_REFERENCE]
    raise UnknownModelError(f"unknown source {name!r}.{suggest(name, valid)} Valid: {valid}")


def combined(source: str) -> bool:
    """Whether ``source`` combines imaging with the clinical columns (``stacked``, ``late+clinical``,
    ``<imaging>+clinical``): the sources the added value of imaging is measured for (against ``clinical``)."""
    return source == STACKED or source.endswith("+" + CLINICAL)


def reference(source: str) -> str:
    """The clinical-only source a combined ``source`` is compared with: ``clinical_stack`` (the same second level
    without the imaging score) for ``stacked``, ``clinical`` (the same model on the clinical columns) otherwise."""
    return STACK_REFERENCE if source == STACKED else CLINICAL
